//! The hall's standard A4 papers, built from plain data: 受理回执 and 告知书.
//!
//! Templates only arrange what the caller hands them; they never look up data, read the clock or
//! mask anything. The caller passes the applicant's name already masked (e.g. `张*明`) because the
//! masking rule is a policy of the hall, and dates explicitly, because the document must show the
//! time the case was accepted, not the time it happens to be printed. The returned [`Document`] can
//! be adjusted before [`render_pdf`](crate::render_pdf) (an outlet may add a paragraph).

use time::{Date, PrimitiveDateTime};

use crate::document::{Block, Column, Document, Field, Table};

/// What identifies the case on every paper about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseHeader {
    /// The issuing hall, e.g. `某某市政务服务中心`.
    pub outlet_name: String,
    /// The case number (办件编号).
    pub case_number: String,
    /// The applicant's name, already masked by the caller as hall policy requires.
    pub applicant_name: String,
    /// The service item (事项) applied for.
    pub item_name: String,
    /// Where the QR code leads, usually the case's progress page.
    pub qr_url: String,
}

/// One submitted or requested material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialLine {
    /// The material's name as in the service catalogue.
    pub name: String,
    /// Number of copies.
    pub copies: u32,
    /// What happened to it.
    pub status: MaterialStatus,
}

/// The state of a material, printed in the table's 状态 column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaterialStatus {
    /// 已收取
    Received,
    /// 已核验原件 (original checked and returned)
    OriginalVerified,
    /// 未提交
    Missing,
    /// 需补正 (submitted but must be corrected)
    NeedsCorrection,
    /// Any other wording the hall uses.
    Other(String),
}

impl MaterialStatus {
    /// The Chinese label printed in the table.
    pub fn label(&self) -> &str {
        match self {
            MaterialStatus::Received => "已收取",
            MaterialStatus::OriginalVerified => "已核验原件",
            MaterialStatus::Missing => "未提交",
            MaterialStatus::NeedsCorrection => "需补正",
            MaterialStatus::Other(label) => label,
        }
    }
}

/// Data of an acceptance receipt (受理回执).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptanceReceipt {
    /// The case.
    pub case: CaseHeader,
    /// When the case was accepted (hall local time).
    pub accepted_at: PrimitiveDateTime,
    /// The promised completion date (承诺办结时间), if the item has one.
    pub promised_by: Option<Date>,
    /// The window that accepted the case, e.g. `3号窗口`.
    pub window: Option<String>,
    /// The materials received.
    pub materials: Vec<MaterialLine>,
}

/// Builds the acceptance receipt handed to the applicant and kept with the case.
pub fn acceptance_receipt(receipt: &AcceptanceReceipt) -> Document {
    let case = &receipt.case;
    let mut fields = vec![
        Field::new("办件编号", &case.case_number),
        Field::new("申请人", &case.applicant_name),
        Field::new("办理事项", &case.item_name),
        Field::new("受理时间", date_time(receipt.accepted_at)),
    ];
    if let Some(window) = &receipt.window {
        fields.push(Field::new("受理窗口", window));
    }
    if let Some(promised) = receipt.promised_by {
        fields.push(Field::new("承诺办结", format!("{} 前", date(promised))));
    }
    let mut blocks = vec![Block::Fields(fields)];
    if !receipt.materials.is_empty() {
        blocks.push(Block::Heading("收取材料".into()));
        blocks.push(Block::Table(materials_table(&receipt.materials)));
    }
    blocks.push(Block::Paragraph {
        text: "您的申请已受理。请妥善保管本回执，凭办件编号或扫描下方二维码查询办理进度；\
               领取办理结果时请携带本回执及申请人有效身份证件。"
            .into(),
        indent: true,
    });
    blocks.push(Block::Qr {
        payload: case.qr_url.clone(),
        caption: "扫码查询办理进度".into(),
    });
    blocks.push(Block::Closing(vec![
        case.outlet_name.clone(),
        date(receipt.accepted_at.date()),
    ]));
    Document {
        title: "受理回执".into(),
        subtitle: Some(case.outlet_name.clone()),
        blocks,
        footer: Some(footer(case)),
        metadata_title: Some(format!("受理回执 {}", case.case_number)),
    }
}

/// Data of a notice (告知书) such as 补齐补正告知书 or 不予受理告知书.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The notice's title, e.g. `补齐补正告知书`.
    pub title: String,
    /// The case.
    pub case: CaseHeader,
    /// The body paragraphs after the salutation.
    pub paragraphs: Vec<String>,
    /// Heading of the materials table (e.g. `需补齐补正的材料`); ignored when there are none.
    pub materials_heading: String,
    /// Materials the notice is about.
    pub materials: Vec<MaterialLine>,
    /// The date the notice is issued.
    pub issued_on: Date,
}

impl Notice {
    /// A 补齐补正告知书 with the customary wording (Administrative Licensing Law, art. 32): the
    /// applicant must supply or correct `materials` by `deadline`.
    pub fn supplement_correction(
        case: CaseHeader,
        materials: Vec<MaterialLine>,
        deadline: Date,
        issued_on: Date,
    ) -> Self {
        let paragraphs = vec![
            format!(
                "经审查，您申请办理的“{}”事项，提交的申请材料不齐全或者不符合法定形式。\
                 根据《中华人民共和国行政许可法》第三十二条的规定，请于{}前补齐补正下列材料。",
                case.item_name,
                date(deadline)
            ),
            "逾期未补齐补正的，视为放弃本次申请。补齐补正材料后，请携带本告知书到原受理窗口办理。"
                .into(),
        ];
        Self {
            title: "补齐补正告知书".into(),
            case,
            paragraphs,
            materials_heading: "需补齐补正的材料".into(),
            materials,
            issued_on,
        }
    }
}

/// Builds a notice document.
pub fn notice(notice: &Notice) -> Document {
    let case = &notice.case;
    let mut blocks = vec![
        Block::Fields(vec![
            Field::new("办件编号", &case.case_number),
            Field::new("办理事项", &case.item_name),
        ]),
        Block::Paragraph {
            text: format!("{}：", case.applicant_name),
            indent: false,
        },
    ];
    blocks.extend(notice.paragraphs.iter().map(|p| Block::Paragraph {
        text: p.clone(),
        indent: true,
    }));
    if !notice.materials.is_empty() {
        blocks.push(Block::Heading(notice.materials_heading.clone()));
        blocks.push(Block::Table(materials_table(&notice.materials)));
    }
    blocks.push(Block::Qr {
        payload: case.qr_url.clone(),
        caption: "扫码查看办件详情".into(),
    });
    blocks.push(Block::Closing(vec![
        case.outlet_name.clone(),
        date(notice.issued_on),
    ]));
    Document {
        title: notice.title.clone(),
        subtitle: Some(case.outlet_name.clone()),
        blocks,
        footer: Some(footer(case)),
        metadata_title: Some(format!("{} {}", notice.title, case.case_number)),
    }
}

/// The 序号 / 材料名称 / 份数 / 状态 table.
pub fn materials_table(materials: &[MaterialLine]) -> Table {
    Table {
        columns: vec![
            Column::new("序号", 1.0, true),
            Column::new("材料名称", 6.0, false),
            Column::new("份数", 1.0, true),
            Column::new("状态", 1.8, true),
        ],
        rows: materials
            .iter()
            .enumerate()
            .map(|(i, m)| {
                vec![
                    (i + 1).to_string(),
                    m.name.clone(),
                    m.copies.to_string(),
                    m.status.label().to_owned(),
                ]
            })
            .collect(),
    }
}

/// The footer names the hall and the case, never the applicant.
fn footer(case: &CaseHeader) -> String {
    format!("{} · 办件编号 {}", case.outlet_name, case.case_number)
}

/// `2026年11月24日`
fn date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

/// `2026年11月24日 09:05`
fn date_time(t: PrimitiveDateTime) -> String {
    format!("{} {:02}:{:02}", date(t.date()), t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn case() -> CaseHeader {
        CaseHeader {
            outlet_name: "示例市政务服务中心".into(),
            case_number: "BS20261124000017".into(),
            applicant_name: "张*明".into(),
            item_name: "个体工商户设立登记".into(),
            qr_url: "https://zw.example.cn/c/BS20261124000017".into(),
        }
    }

    #[test]
    fn receipt_lists_case_fields_materials_and_qr() {
        let doc = acceptance_receipt(&AcceptanceReceipt {
            case: case(),
            accepted_at: datetime!(2026-11-24 09:05),
            promised_by: Some(date!(2026 - 12 - 08)),
            window: Some("3号窗口".into()),
            materials: vec![MaterialLine {
                name: "营业执照申请书".into(),
                copies: 1,
                status: MaterialStatus::Received,
            }],
        });
        assert_eq!(doc.title, "受理回执");
        let Block::Fields(fields) = &doc.blocks[0] else {
            panic!("fields first")
        };
        assert!(fields.contains(&Field::new("受理时间", "2026年11月24日 09:05")));
        assert!(fields.contains(&Field::new("承诺办结", "2026年12月8日 前")));
        assert!(doc.blocks.iter().any(|b| matches!(b, Block::Qr { payload, .. } if payload == "https://zw.example.cn/c/BS20261124000017")));
        assert!(
            !doc.footer.unwrap().contains("张"),
            "no applicant name in the footer"
        );
    }

    #[test]
    fn supplement_notice_states_the_deadline_and_materials() {
        let n = Notice::supplement_correction(
            case(),
            vec![MaterialLine {
                name: "经营场所使用证明".into(),
                copies: 1,
                status: MaterialStatus::Missing,
            }],
            date!(2026 - 11 - 29),
            date!(2026 - 11 - 24),
        );
        let doc = notice(&n);
        assert_eq!(doc.title, "补齐补正告知书");
        let text = format!("{:?}", doc.blocks);
        assert!(text.contains("请于2026年11月29日前补齐补正"));
        assert!(text.contains("未提交"));
        assert!(text.contains("张*明："));
    }
}
