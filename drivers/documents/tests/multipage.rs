//! A notice with a long material list flows onto further pages, with the table header repeated
//! and page numbers that know the total.

mod common;

use banshi_documents::templates::{notice, MaterialStatus, Notice};
use banshi_documents::{render_pdf, CjkFonts};
use time::macros::date;

#[test]
fn long_material_list_spills_onto_page_two_with_page_numbers() {
    let materials = (1..=45)
        .map(|i| {
            common::material(
                &format!("补充证明材料第{i}项（加盖公章）"),
                MaterialStatus::NeedsCorrection,
            )
        })
        .collect();
    let notice_data = Notice::supplement_correction(
        common::case(),
        materials,
        date!(2026 - 11 - 29),
        date!(2026 - 11 - 24),
    );
    let pdf = render_pdf(&notice(&notice_data), &CjkFonts::system().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notice.pdf");
    std::fs::write(&path, &pdf).unwrap();

    let pages = common::page_count(&path);
    assert!(pages >= 2, "{pages} page(s)");
    let first = common::page_text(&path, 1);
    let last = common::page_text(&path, pages);
    assert!(first.contains("补齐补正告知书"));
    assert!(first.contains("请于2026年11月29日前补齐补正"));
    assert!(first.contains("补充证明材料第1项"));
    assert!(first.contains(&format!("第1页/共{pages}页")));
    assert!(!first.contains("补充证明材料第45项"));
    assert!(last.contains("补充证明材料第45项"));
    assert!(last.contains("材料名称"), "header row repeated:\n{last}");
    assert!(last.contains(&format!("第{pages}页/共{pages}页")));
    assert!(last.contains("扫码查看办件详情"));
}
