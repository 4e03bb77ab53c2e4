//! The documents a window prints for a case (受理通知书, 容缺受理通知书, 不予受理通知书, 补齐补正告知书, the
//! material list in two copies), each an A4 PDF with a QR that the kiosk's progress lookup resolves.
//!
//! A notice is kept before it is printed: its PDF becomes a blob of the case and a [`NoticeRecord`] is added to
//! the case (durably), then the A4 printer gets it over IPP. A failed print leaves the notice with
//! `printed = false`, so the clerk can print it again; the decision it belongs to is never undone by a
//! printer problem. A kiosk's receipt (收件回执) is an 80 mm thermal slip with the same QR instead.

use std::sync::{Arc, OnceLock};

use banshi_core::application::{Application, Decision, NoticeKind, NoticeRecord};
use banshi_core::catalogue::{Item, Medium};
use banshi_core::mask::mask_name;
use banshi_core::queue::unix_ms;
use banshi_core::staff::Actor;
use banshi_devices::{AlignSpec, SizeSpec, SlipLineSpec, ThermalRole};
use banshi_documents::templates::{
    acceptance_receipt, notice, AcceptanceReceipt, CaseHeader, MaterialLine, MaterialStatus, Notice,
};
use banshi_documents::{render_pdf, CjkFonts, Document};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::{blocking, Terminal, TerminalError};
use crate::terminal::application_ops::ApplicationError;

/// The QR payload of a case's documents: the progress page under the sync server's address, ending in the
/// number, so a phone opens the page and the kiosk's lookup takes the number from the end.
pub(crate) fn progress_url(terminal: &Terminal, number: &str) -> String {
    let base = terminal
        .profile()
        .sync
        .as_ref()
        .map(|s| format!("{}/c/", s.server.trim_end_matches('/')))
        .unwrap_or_else(|| "banshi:case/".to_string());
    format!("{base}{number}")
}

/// The case number in a scanned QR payload or a typed number: the last path segment.
pub(crate) fn number_from_scan(text: &str) -> &str {
    let text = text.trim();
    text.rsplit(['/', ':']).next().unwrap_or(text)
}

fn fonts() -> Result<Arc<CjkFonts>, TerminalError> {
    static FONTS: OnceLock<Result<Arc<CjkFonts>, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            CjkFonts::discover()
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| TerminalError::Application(ApplicationError::Notice(e)))
}

fn hall_time(at_ms: i64) -> PrimitiveDateTime {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(UtcOffset::from_hms(8, 0, 0).expect("UTC+8"));
    PrimitiveDateTime::new(at.date(), at.time())
}

fn material_lines(
    case: &Application,
    item: &Item,
    pick: impl Fn(&str) -> Option<MaterialStatus>,
) -> Vec<MaterialLine> {
    item.materials_for(&case.answers)
        .into_iter()
        .filter_map(|m| {
            pick(&m.id).map(|status| MaterialLine {
                name: match m.medium {
                    Medium::Original => format!("{}（原件）", m.name),
                    Medium::Copy => format!("{}（复印件）", m.name),
                    Medium::Electronic => format!("{}（电子）", m.name),
                },
                copies: m.copies,
                status,
            })
        })
        .collect()
}

/// The document for `kind`, built from the case as it now stands.
fn build(
    terminal: &Terminal,
    case: &Application,
    item: &Item,
    kind: NoticeKind,
    at_ms: i64,
) -> Document {
    let profile = terminal.profile();
    let header = CaseHeader {
        outlet_name: profile.terminal.outlet.clone(),
        case_number: case.number().to_string(),
        applicant_name: mask_name(&case.applicant.name),
        item_name: case.item_name.clone(),
        qr_url: progress_url(terminal, case.number()),
    };
    let issued = hall_time(at_ms);
    let collected = |id: &str| {
        let entry = case.materials.get(id);
        Some(match entry {
            Some(e) if e.paper_received => MaterialStatus::OriginalVerified,
            Some(e) if e.is_collected() => MaterialStatus::Received,
            _ => MaterialStatus::Missing,
        })
    };
    let listed = |ids: &[String]| {
        let ids = ids.to_vec();
        move |id: &str| {
            ids.iter()
                .any(|m| m == id)
                .then_some(MaterialStatus::NeedsCorrection)
        }
    };
    match (kind, &case.decision) {
        (NoticeKind::Acceptance, _) | (NoticeKind::Receipt, _) => acceptance_receipt(&AcceptanceReceipt {
            case: header,
            accepted_at: issued,
            promised_by: None,
            window: profile.queue.window.map(|w| format!("{w}号窗口")),
            materials: material_lines(case, item, collected),
        }),
        (NoticeKind::AcceptanceWithMissing, Some(Decision::AcceptWithMissing { missing, promise_date })) => {
            notice(&Notice {
                title: "容缺受理通知书".into(),
                paragraphs: vec![
                    format!(
                        "您申请办理的“{}”事项，主要申请材料齐全，经审查予以容缺受理。请于{}前补交下列材料，\
                         逾期未补交的，按有关规定处理。",
                        case.item_name, promise_date
                    ),
                ],
                materials_heading: "容缺的材料".into(),
                materials: material_lines(case, item, listed(missing)),
                issued_on: issued.date(),
                case: header,
            })
        }
        (NoticeKind::Rejection, Some(Decision::Reject { reason })) => notice(&Notice {
            title: "不予受理通知书".into(),
            paragraphs: vec![format!(
                "您申请办理的“{}”事项，经审查，决定不予受理。理由：{reason}。如对本决定不服，可依法申请行政复议\
                 或者提起行政诉讼。",
                case.item_name
            )],
            materials_heading: String::new(),
            materials: Vec::new(),
            issued_on: issued.date(),
            case: header,
        }),
        (NoticeKind::Correction, Some(Decision::RequestCorrection { materials, reason, deadline })) => {
            let mut n = Notice::supplement_correction(
                header,
                material_lines(case, item, listed(materials)),
                banshi_core::clock::parse_date(deadline).unwrap_or(issued.date()),
                issued.date(),
            );
            n.paragraphs.insert(1, format!("补正原因：{reason}。"));
            notice(&n)
        }
        // The material list, also the fallback for a notice whose decision changed since.
        _ => notice(&Notice {
            title: "材料清单".into(),
            paragraphs: vec!["本清单一式两份，一份交申请人，一份随档案袋流转；扫描二维码可查询办理进度。".into()],
            materials_heading: "申请材料".into(),
            materials: material_lines(case, item, collected),
            issued_on: issued.date(),
            case: header,
        }),
    }
}

/// The kiosk's 80 mm receipt: the case number, what happens next and the progress QR.
fn receipt_lines(terminal: &Terminal, case: &Application, at_ms: i64) -> Vec<SlipLineSpec> {
    let text = |text: String, bold: bool| SlipLineSpec::Text {
        text,
        align: AlignSpec::Left,
        bold,
        size: SizeSpec::Normal,
    };
    let issued = hall_time(at_ms);
    let mut lines = vec![
        SlipLineSpec::Text {
            text: "办事回执".into(),
            align: AlignSpec::Center,
            bold: true,
            size: SizeSpec::Double,
        },
        SlipLineSpec::Text {
            text: terminal.profile().terminal.outlet.clone(),
            align: AlignSpec::Center,
            bold: false,
            size: SizeSpec::Normal,
        },
        SlipLineSpec::Separator,
        text(format!("办件编号：{}", case.number()), true),
        text(format!("办理事项：{}", case.item_name), false),
        text(
            format!("申请人：{}", mask_name(&case.applicant.name)),
            false,
        ),
        text(
            format!(
                "提交时间：{} {:02}:{:02}",
                issued.date(),
                issued.hour(),
                issued.minute()
            ),
            false,
        ),
    ];
    if let Some(handover) = &case.handover {
        lines.push(text(format!("请到窗口提交：{handover}"), true));
    }
    lines.extend([
        SlipLineSpec::Separator,
        SlipLineSpec::Qr {
            data: progress_url(terminal, case.number()),
            module_size: 5,
        },
        SlipLineSpec::Text {
            text: "扫码或凭办件编号查询办理进度".into(),
            align: AlignSpec::Center,
            bold: false,
            size: SizeSpec::Normal,
        },
        SlipLineSpec::Feed { lines: 2 },
    ]);
    lines
}

impl Terminal {
    /// Print the kiosk's thermal receipt for a case (the receipt printer, else the ticket printer) and note it
    /// on the case. A failed print is noted too: the case itself is already saved.
    async fn print_case_receipt(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<NoticeRecord, TerminalError> {
        let (case, _, _) = self.case_and_item(id).await?;
        let now_ms = unix_ms(self.clock.now());
        let lines = receipt_lines(self, &case.body, now_ms);
        let devices = self.devices();
        let printed =
            tokio::task::spawn_blocking(move || devices.print_slip(ThermalRole::Receipt, &lines))
                .await
                .map_err(|e| TerminalError::Task(e.to_string()))?;
        if let Err(error) = &printed {
            tracing::warn!(case = id, %error, "receipt not printed");
        }
        let record = NoticeRecord {
            kind: NoticeKind::Receipt,
            at_ms: now_ms,
            actor: super::application_ops::actor_names(actor).0,
            pdf: String::new(),
            printed: printed.is_ok(),
        };
        let kept = record.clone();
        self.edit_case(actor, id, move |c| c.notices.push(kept))
            .await?;
        Ok(record)
    }

    /// Keep and print the notice of `kind` for the case: the PDF is a blob of the case and a notice record is
    /// added before printing. The material list prints twice (applicant, archive envelope).
    pub async fn issue_notice(
        &self,
        actor: &Actor,
        id: &str,
        kind: NoticeKind,
    ) -> Result<NoticeRecord, TerminalError> {
        // A kiosk's receipt is a thermal slip; every other document is A4.
        if kind == NoticeKind::Receipt && self.profile().mode == banshi_profile::Mode::SelfService {
            return self.print_case_receipt(actor, id).await;
        }
        let (case, item, _) = self.case_and_item(id).await?;
        let now_ms = unix_ms(self.clock.now());
        let document = build(self, &case.body, &item, kind, now_ms);
        let fonts = fonts()?;
        let pdf = tokio::task::spawn_blocking(move || render_pdf(&document, &fonts))
            .await
            .map_err(|e| TerminalError::Task(e.to_string()))?
            .map_err(|e| ApplicationError::Notice(e.to_string()))?;
        let (store, scope, bytes) = (Arc::clone(&self.store), self.hall_scope(), pdf.clone());
        let sm3 = blocking(move || store.add_blob_bytes(&scope, &bytes).map(|m| m.sm3)).await?;
        let copies = if kind == NoticeKind::MaterialList {
            2
        } else {
            1
        };
        let devices = self.devices();
        let title = format!("{} {}", case.body.number(), kind_name(kind));
        let printed = tokio::task::spawn_blocking(move || {
            (0..copies).try_for_each(|_| devices.print_pdf(&pdf, &title).map(|_| ()))
        })
        .await
        .map_err(|e| TerminalError::Task(e.to_string()))?;
        if let Err(error) = &printed {
            tracing::warn!(case = id, %error, "notice kept but not printed");
        }
        let (actor_id, _) = super::application_ops::actor_names(actor);
        let record = NoticeRecord {
            kind,
            at_ms: now_ms,
            actor: actor_id,
            pdf: sm3,
            printed: printed.is_ok(),
        };
        let kept = record.clone();
        self.edit_case(actor, id, move |c| c.notices.push(kept))
            .await?;
        Ok(record)
    }
}

fn kind_name(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Receipt => "收件回执",
        NoticeKind::Acceptance => "受理通知书",
        NoticeKind::AcceptanceWithMissing => "容缺受理通知书",
        NoticeKind::Rejection => "不予受理通知书",
        NoticeKind::Correction => "补齐补正告知书",
        NoticeKind::MaterialList => "材料清单",
    }
}

#[cfg(test)]
mod tests {
    use super::number_from_scan;

    #[test]
    fn a_scanned_progress_url_yields_the_case_number() {
        assert_eq!(
            number_from_scan("http://10.0.0.2:8300/c/2026010000100000042"),
            "2026010000100000042"
        );
        assert_eq!(
            number_from_scan(" HK-KIOSK-01-20261124-0001 "),
            "HK-KIOSK-01-20261124-0001"
        );
        assert_eq!(number_from_scan("banshi:case/2026X"), "2026X");
    }
}
