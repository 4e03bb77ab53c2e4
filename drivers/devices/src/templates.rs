//! Print templates: what a ticket says, as a printer-agnostic [`Slip`].
//!
//! Templates take already-translated, already-formatted text so they stay free of locale and clock logic;
//! the terminal chooses the language (its message catalogue) and the time zone.

use banshi_escpos::{Align, Slip, SlipLine, TextSize};

/// Everything printed on a queue ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSlip {
    pub outlet: String,
    pub number: String,
    pub category_name: String,
    /// e.g. `前面还有 3 人等候`.
    pub people_ahead_line: String,
    /// e.g. `取号时间 2026-11-23 09:41`.
    pub issued_at_line: String,
    /// URL for following the queue on a phone.
    pub follow_url: String,
    /// e.g. `扫码查看排队进度`.
    pub scan_hint: String,
    /// e.g. `请留意叫号，过号需重新取号`.
    pub notice: String,
}

/// The 80 mm ticket layout.
pub fn ticket_slip(t: &TicketSlip) -> Slip {
    let text = |text: String, align, bold, size| SlipLine::Text {
        text,
        align,
        bold,
        size,
    };
    Slip {
        lines: vec![
            text(t.outlet.clone(), Align::Center, true, TextSize::Normal),
            SlipLine::Separator,
            text(
                t.category_name.clone(),
                Align::Center,
                false,
                TextSize::Double,
            ),
            text(t.number.clone(), Align::Center, true, TextSize::Quad),
            text(
                t.people_ahead_line.clone(),
                Align::Center,
                false,
                TextSize::Normal,
            ),
            text(
                t.issued_at_line.clone(),
                Align::Center,
                false,
                TextSize::Normal,
            ),
            SlipLine::Feed(1),
            SlipLine::Qr {
                data: t.follow_url.clone(),
                module_size: 6,
            },
            text(t.scan_hint.clone(), Align::Center, false, TextSize::Normal),
            text(t.notice.clone(), Align::Center, false, TextSize::Normal),
            SlipLine::Feed(3),
        ],
    }
}
