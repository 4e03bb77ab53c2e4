//! Text the backend itself prints (ticket slips), per language. Screens are translated in the UI
//! (`ui/src/i18n`); only what leaves the machine on paper is translated here.

/// Translated lines of a queue ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketLines {
    pub people_ahead: String,
    pub issued_at: String,
    pub scan_hint: String,
    pub notice: String,
}

/// Lines for a ticket in `lang`; languages without a printed catalogue yet (ug) print in zh-CN, which
/// every hall printer can render.
pub fn ticket_lines(lang: &str, people_ahead: usize, issued_at: &str) -> TicketLines {
    match lang {
        "en" => TicketLines {
            people_ahead: format!("{people_ahead} waiting ahead of you"),
            issued_at: format!("Issued {issued_at}"),
            scan_hint: "Scan to follow the queue".into(),
            notice: "Please listen for your number; a missed call needs a new ticket".into(),
        },
        _ => TicketLines {
            people_ahead: format!("前面还有 {people_ahead} 人等候"),
            issued_at: format!("取号时间 {issued_at}"),
            scan_hint: "扫码查看排队进度".into(),
            notice: "请留意叫号，过号需重新取号".into(),
        },
    }
}
