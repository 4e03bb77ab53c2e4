//! Applications end to end with real terminals and a real server: the kiosk's offline submission handed over to
//! a window, 容缺 acceptance seen in the kiosk's progress lookup, ratings (one per case), and a field laptop's
//! three offline days carried to the hall on removable media.

use std::collections::BTreeMap;
use std::sync::Arc;

use banshi_core::application::{CaseStatus, Decision, NoticeKind};
use banshi_core::catalogue::{Answers, Catalogue, FieldKind, Item, DEMO_CATALOGUE_TOML};
use banshi_core::rating::{Grade, RatingChannel, RatingInput};
use banshi_core::staff::{Actor, Role};
use banshi_core::{Clock, ErrorCode, ManualClock};
use banshi_scenarios::staff::{clerk, login_as};
use banshi_scenarios::Hall;
use banshi_terminal::{ApplicantInput, ApplicationPatch, Terminal};

fn resident(n: u32) -> ApplicantInput {
    ApplicantInput {
        name: format!("居民{n}"),
        id_number: format!("4601001990010{n:05}"),
        gender: "女".into(),
        birth_date: "1990-01-01".into(),
        address: "海南省海口市龙华区滨海大道1号".into(),
        ethnicity: "汉".into(),
    }
}

/// A rating of `grade` and nothing else (no reasons, not anonymous).
fn rating(grade: Grade) -> RatingInput {
    RatingInput {
        grade: Some(grade),
        ..Default::default()
    }
}

fn item_named<'a>(catalogue: &'a Catalogue, name: &str) -> &'a Item {
    catalogue
        .search(name)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("the demo catalogue has {name}"))
}

/// Answers every question with its first option, follow-ups included.
fn first_answers(item: &Item) -> Answers {
    let mut answers = Answers::new();
    loop {
        let open: Vec<_> = item
            .visible_questions(&answers)
            .into_iter()
            .filter(|q| !answers.contains_key(&q.id))
            .map(|q| (q.id.clone(), q.options[0].id.clone()))
            .collect();
        if open.is_empty() {
            return answers;
        }
        answers.extend(open);
    }
}

/// A plausible value for every required field the pre-fill left empty.
fn fill_form(
    catalogue: &Catalogue,
    item: &Item,
    answers: &Answers,
    form: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    item.fields_for(answers)
        .into_iter()
        .filter(|f| f.required && !form.contains_key(&f.field))
        .map(|f| {
            let def = catalogue.field(&f.field).expect("dictionary field");
            let value = match def.kind {
                FieldKind::Phone => "13800138000".to_string(),
                FieldKind::Date => "2026-01-01".to_string(),
                FieldKind::Number => "2026".to_string(),
                FieldKind::IdNumber => "11010519491231002X".to_string(),
                FieldKind::Choice => def.choices[0].clone(),
                FieldKind::Text => format!("测试{}", def.label),
            };
            (f.field.clone(), value)
        })
        .collect()
}

async fn publish_demo_catalogue(hall: &Hall) -> Arc<Terminal> {
    let admin = hall.terminal("admin", "hk-admin-01").await.expect("admin");
    // Only the fleet's admin consoles may write the catalogue scope.
    banshi_server::fleet::add_admin_terminal(&hall.storage, "hk-admin-01")
        .await
        .expect("fleet admin console");
    let fleet_admin = login_as(&admin, "fleet-admin", &[Role::FleetAdmin]).await;
    admin
        .publish_catalogue(&fleet_admin, DEMO_CATALOGUE_TOML)
        .await
        .expect("publish");
    // Publishing the same version again is refused: versions only go up.
    let again = admin
        .publish_catalogue(&fleet_admin, DEMO_CATALOGUE_TOML)
        .await
        .unwrap_err();
    assert_eq!(again.code(), "catalogue.stale_version");
    admin.sync_now().await;
    admin
}

/// A self-service kiosk of the hall that has synced once, so it holds the published catalogue.
async fn synced_kiosk(hall: &Hall, terminal_id: &str) -> Arc<Terminal> {
    let kiosk = hall
        .terminal("self-service", terminal_id)
        .await
        .expect("kiosk");
    kiosk.sync_now().await;
    kiosk
}

/// Start, answer, fill and (for capturable materials) scan a case; returns its id.
async fn fill_case(
    terminal: &Terminal,
    actor: &Actor,
    item_code: &str,
    who: ApplicantInput,
) -> String {
    let catalogue = terminal.catalogue().await.expect("catalogue");
    let item = catalogue.item(item_code).expect("item");
    let started = terminal
        .start_application(actor, item_code, who)
        .await
        .expect("start");
    assert_eq!(started.status, CaseStatus::Draft);
    let answers = first_answers(item);
    let form = fill_form(&catalogue, item, &answers, &started.form);
    let view = terminal
        .save_application(
            actor,
            &started.id,
            ApplicationPatch {
                answers: Some(answers),
                form: Some(form),
                collection: None,
            },
        )
        .await
        .expect("save draft");
    assert!(view.missing_fields.is_empty(), "{:?}", view.missing_fields);
    for material in view.materials.iter().filter(|m| m.kiosk_capturable) {
        terminal
            .add_material_pages(
                actor,
                &view.id,
                &material.id,
                vec![format!("page of {}", material.id).into_bytes()],
            )
            .await
            .expect("scan");
    }
    started.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_case_taken_offline_is_handed_to_a_window_accepted_with_a_missing_material_and_found_by_number(
) {
    let hall = Hall::start().await.expect("hall");
    publish_demo_catalogue(&hall).await;
    let kiosk = synced_kiosk(&hall, "hk-kiosk-01").await;
    // The window's A4 printer is a real IPP printer (ippeveprinter) keeping what it prints.
    let printer = banshi_documents::VirtualPrinter::start().expect("virtual IPP printer");
    let printer_url = printer.url();
    let window = hall
        .terminal_with("window", "hk-window-05", |p| {
            p.devices.a4_printer = Some(banshi_profile::IppPrinter { url: printer_url });
        })
        .await
        .expect("window");
    window.sync_now().await;

    // The kiosk works from its synced catalogue; the case is saved before any sync.
    let catalogue = kiosk.catalogue().await.expect("kiosk has the catalogue");
    let item = item_named(&catalogue, "出生登记").clone();
    let id = fill_case(&kiosk, &Actor::Resident, &item.code, resident(7)).await;
    // Typed values are checked by field kind, and only the item's own fields are kept; nothing is saved then.
    for (field, value) in [("applicant_phone", "x"), ("no_such_field", "1")] {
        let bad = kiosk
            .save_application(
                &Actor::Resident,
                &id,
                ApplicationPatch {
                    form: Some([(field.to_string(), value.to_string())].into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(bad.code(), "application.bad_field_value", "{field}");
    }
    assert_eq!(
        kiosk
            .case_view(&id)
            .await
            .unwrap()
            .form
            .get("applicant_phone")
            .map(String::as_str),
        Some("13800138000")
    );
    let submitted = kiosk
        .submit_application(&Actor::Resident, &id)
        .await
        .expect("submit");
    assert!(submitted.provisional_number.starts_with("HK-KIOSK-01-"));
    let expected = if submitted
        .materials
        .iter()
        .any(|m| !m.kiosk_capturable && !m.collected)
    {
        CaseStatus::HandedOver
    } else {
        CaseStatus::Submitted
    };
    assert_eq!(submitted.status, expected);
    assert!(!submitted.synced);
    // The receipt: an 80 mm slip with the number and the progress QR, noted on the case.
    let receipt = submitted.notices.last().expect("receipt noted");
    assert_eq!(receipt.kind, NoticeKind::Receipt);
    assert!(receipt.printed);
    let jobs = hall
        .printer
        .wait_for_jobs(1, std::time::Duration::from_secs(10))
        .await
        .expect("the receipt reached the printer");
    let slip = jobs.last().expect("job");
    assert!(
        slip.text.contains(&submitted.provisional_number),
        "{}",
        slip.text
    );
    assert!(slip.text.contains("办事回执"), "{}", slip.text);

    // A rating at the end of the kiosk flow; a second one is refused with the case number in the message.
    let rated = kiosk
        .rate_case(
            &id,
            RatingInput {
                grade: Some(Grade::Satisfied),
                ..Default::default()
            },
            RatingChannel::Kiosk,
        )
        .await
        .expect("rate");
    assert_eq!(rated.grade, Grade::Satisfied);
    let second = kiosk
        .rate_case(
            &id,
            RatingInput {
                grade: Some(Grade::VerySatisfied),
                ..Default::default()
            },
            RatingChannel::ReceiptQr,
        )
        .await
        .unwrap_err();
    assert_eq!(second.code(), "rating.already_rated");
    assert!(
        second.to_string().contains(&submitted.provisional_number),
        "{second}"
    );

    // Back online: the server gives the official number, and the window finds the case by the ID card.
    kiosk.sync_now().await;
    let synced = kiosk.case_view(&id).await.expect("case");
    let official = synced
        .official_number
        .clone()
        .expect("official number from the server");
    window.sync_now().await;
    let clerk = clerk(&window, "clerk-05").await;
    let cases = window
        .cases_for_applicant(&clerk, &resident(7).id_number)
        .await
        .expect("cases");
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].number, official);

    // 容缺受理 with the first material still missing.
    let at_window = window.case_view(&id).await.expect("case at the window");
    for m in at_window.materials.iter().skip(1) {
        window
            .mark_material(&clerk, &id, &m.id, true, true)
            .await
            .expect("paper");
    }
    let missing = vec![at_window.materials[0].id.clone()];
    let refused = window
        .decide_application(
            &clerk,
            &id,
            Decision::AcceptWithMissing {
                missing: vec!["no-such".into()],
                promise_date: "2026-12-01".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "application.unknown_material");
    let accepted = window
        .decide_application(
            &clerk,
            &id,
            Decision::AcceptWithMissing {
                missing,
                promise_date: "2026-12-01".into(),
            },
        )
        .await
        .expect("容缺受理");
    assert_eq!(accepted.status, CaseStatus::AcceptedWithMissing);
    // The 容缺受理通知书 was kept with the case and printed over IPP; its QR carries the progress URL.
    let kinds: Vec<_> = accepted
        .notices
        .iter()
        .map(|n| (n.kind, n.printed))
        .collect();
    assert_eq!(
        kinds,
        [
            (NoticeKind::Receipt, true),
            (NoticeKind::AcceptanceWithMissing, true)
        ]
    );
    let printed = printer
        .wait_for_documents(1, std::time::Duration::from_secs(20))
        .expect("the notice reached the printer");
    assert!(std::fs::read(&printed[0]).unwrap().starts_with(b"%PDF"));
    assert!(
        accepted.progress_url.ends_with(&format!("/c/{official}")),
        "{}",
        accepted.progress_url
    );
    // The material list prints in two copies.
    let list = window
        .issue_notice(&clerk, &id, NoticeKind::MaterialList)
        .await
        .expect("material list");
    assert!(list.printed, "{list:?}");
    printer
        .wait_for_documents(3, std::time::Duration::from_secs(20))
        .expect("two more documents");
    window.sync_now().await;

    // The kiosk's progress lookup resolves the official number (what the notice's QR carries).
    kiosk.sync_now().await;
    // Scanning the notice's QR gives the progress URL; the lookup takes the number from it.
    let progress = kiosk
        .case_progress(&accepted.progress_url)
        .await
        .expect("lookup");
    assert_eq!(progress.status, CaseStatus::AcceptedWithMissing);
    assert_eq!(
        progress.missing_materials,
        [at_window.materials[0].name.clone()]
    );
    assert_eq!(progress.deadline.as_deref(), Some("2026-12-01"));
    let by_provisional = kiosk
        .case_progress(&submitted.provisional_number)
        .await
        .expect("lookup");
    assert_eq!(by_provisional.number, official);

    // The provincial platform moves the case on through the server's integration API; the kiosk sees it.
    let answer = reqwest::Client::new()
        .post(format!("{}/integration/v1/cases/{official}/status", hall.server_url))
        .bearer_auth(banshi_scenarios::INTEGRATION_TOKEN)
        .json(&serde_json::json!({"status": "reviewing", "note": "材料审查", "actor_name": "市公安局"}))
        .send()
        .await
        .expect("platform request");
    assert_eq!(answer.status().as_u16(), 200, "{:?}", answer.text().await);
    kiosk.sync_now().await;
    let progress = kiosk.case_progress(&official).await.expect("lookup");
    assert_eq!(progress.status, CaseStatus::Reviewing);
    let last = progress.history.last().expect("history");
    assert_eq!(
        (last.actor_name.as_str(), last.note.as_str()),
        ("市公安局", "材料审查")
    );

    let unknown = kiosk.case_progress("NO-SUCH-CASE").await.unwrap_err();
    assert_eq!(unknown.code(), "application.unknown_case");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_field_cases_over_three_offline_days_import_once_at_the_hall() {
    let mut hall = Hall::start().await.expect("hall");
    publish_demo_catalogue(&hall).await;
    // The server checks request times, so the laptop's days start now (its last sync) and run ahead offline.
    let start = time::OffsetDateTime::now_utc();
    let clock = Arc::new(ManualClock::new(start));
    let field = hall
        .terminal_with_clock("field", "hk-field-01", clock.clone())
        .await
        .expect("field laptop");
    field.sync_now().await;
    let window = hall
        .terminal("window", "hk-window-06")
        .await
        .expect("window");
    window.sync_now().await;

    // The laptop leaves: from here on it never reaches the server.
    hall.stop_server().await;
    let catalogue = field.catalogue().await.expect("catalogue kept offline");
    let items: Vec<Item> = catalogue
        .items
        .iter()
        .filter(|i| !i.is_query_print() && !i.withdrawn)
        .cloned()
        .collect();
    let mut numbers = Vec::new();
    for day in 0..3u32 {
        clock.set(start + time::Duration::days(i64::from(day)));
        let officer = login_as(&field, "field-officer", &[Role::FieldStaff]).await;
        let today = if day == 2 { 6 } else { 7 };
        for k in 0..today {
            let n = day * 10 + k;
            let item = &items[n as usize % items.len()];
            let id = fill_case(&field, &officer, &item.code, resident(n)).await;
            let view = field
                .submit_application(&officer, &id)
                .await
                .expect("submit in the field");
            assert_eq!(view.status, CaseStatus::Submitted);
            let today = banshi_core::queue::hall_day(clock.now()).replace('-', "");
            assert!(
                view.provisional_number
                    .starts_with(&format!("HK-FIELD-01-{today}-")),
                "{}",
                view.provisional_number
            );
            numbers.push(view.provisional_number);
            clock.advance(time::Duration::minutes(1));
        }
    }
    assert_eq!(numbers.len(), 20);
    let distinct: std::collections::BTreeSet<_> = numbers.iter().collect();
    assert_eq!(distinct.len(), 20, "provisional numbers are unique");
    assert!(numbers[0].ends_with("-0001"), "{}", numbers[0]);

    // The field screen's 导出 writes to the bundle folder, for field staff only.
    let nobody = field
        .export_bundle_to_folder(&Actor::Resident, "龙华-外勤-2026")
        .await
        .unwrap_err();
    assert_eq!(nobody.code(), "staff.login_required");
    let officer = login_as(&field, "field-officer", &[Role::FieldStaff]).await;
    let exported = field
        .export_bundle_to_folder(&officer, "龙华-外勤-2026")
        .await
        .expect("export");
    assert!(exported.records >= 20);
    let bundle = std::path::PathBuf::from(&exported.file);
    assert!(
        bundle.starts_with(hall.dir.path()) && exported.file.ends_with(".banshi-bundle"),
        "{}",
        exported.file
    );
    let clerk = clerk(&window, "clerk-06").await;
    let first = window
        .import_bundle(&bundle, "龙华-外勤-2026")
        .await
        .expect("import");
    assert!(first.records_changed >= 20);
    let mut at_hall: Vec<String> = Vec::new();
    for n in 0..20 {
        let day = n / 7;
        let id_number = resident(day * 10 + n % 7).id_number;
        for case in window
            .cases_for_applicant(&clerk, &id_number)
            .await
            .expect("cases")
        {
            at_hall.push(case.number);
        }
    }
    at_hall.sort();
    let mut expected = numbers.clone();
    expected.sort();
    assert_eq!(at_hall, expected, "exactly the field cases, once each");
    let again = window
        .import_bundle(&bundle, "龙华-外勤-2026")
        .await
        .expect("import again");
    assert_eq!(again.records_changed, 0);
    assert_eq!(again.blobs_added, 0);

    // The hall sends them on once the server is back.
    hall.restart_server().await.expect("server back");
    window.sync_now().await;
    let case = window
        .cases_for_applicant(&clerk, &resident(0).id_number)
        .await
        .expect("cases");
    let view = window.case_view(&case[0].id).await.expect("case");
    assert!(view.official_number.is_some(), "numbered by the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_item_is_refused_with_its_name() {
    let hall = Hall::start().await.expect("hall");
    let admin = publish_demo_catalogue(&hall).await;
    let fleet_admin = login_as(&admin, "fleet-admin", &[Role::FleetAdmin]).await;
    let mut catalogue = Catalogue::from_toml(DEMO_CATALOGUE_TOML).unwrap();
    let withdrawn = item_named(&catalogue, "出生登记").code.clone();
    catalogue.version += 1;
    catalogue
        .items
        .iter_mut()
        .find(|i| i.code == withdrawn)
        .unwrap()
        .withdrawn = true;
    let text = toml::to_string(&catalogue).expect("toml");
    admin
        .publish_catalogue(&fleet_admin, &text)
        .await
        .expect("publish v2");
    admin.sync_now().await;

    let kiosk = synced_kiosk(&hall, "hk-kiosk-02").await;
    assert_eq!(kiosk.catalogue().await.unwrap().version, catalogue.version);
    let err = kiosk
        .start_application(&Actor::Resident, &withdrawn, resident(1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "application.item_withdrawn");
    assert!(err.to_string().contains("出生登记"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_intake_ends_in_a_correction_request_with_its_notice_printed() {
    let hall = Hall::start().await.expect("hall");
    publish_demo_catalogue(&hall).await;
    let printer = banshi_documents::VirtualPrinter::start().expect("virtual IPP printer");
    let printer_url = printer.url();
    let window = hall
        .terminal_with("window", "hk-window-07", |p| {
            p.devices.a4_printer = Some(banshi_profile::IppPrinter { url: printer_url });
        })
        .await
        .expect("window");
    window.sync_now().await;
    let clerk = clerk(&window, "clerk-07").await;
    let catalogue = window.catalogue().await.expect("catalogue");
    let item = item_named(&catalogue, "营业执照").clone();
    // The clerk types the applicant (no card here), answers, fills and takes the papers but one.
    let id = fill_case(&window, &clerk, &item.code, resident(30)).await;
    let view = window.case_view(&id).await.expect("case");
    for m in view.materials.iter().skip(1) {
        window
            .mark_material(&clerk, &id, &m.id, true, true)
            .await
            .expect("paper");
    }
    let first = view.materials[0].clone();
    let accept = window
        .decide_application(&clerk, &id, Decision::Accept)
        .await
        .unwrap_err();
    assert_eq!(accept.code(), "application.material_missing");
    let correction = |reason: &str| Decision::RequestCorrection {
        materials: vec![first.id.clone()],
        reason: reason.into(),
        deadline: "2026-12-15".into(),
    };
    let no_reason = window
        .decide_application(&clerk, &id, correction(" "))
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), "application.reason_required");
    let corrected = window
        .decide_application(&clerk, &id, correction("复印件不清晰"))
        .await
        .expect("补齐补正");
    assert_eq!(corrected.status, CaseStatus::CorrectionRequested);
    assert_eq!(corrected.notices.len(), 1);
    assert!(corrected.notices[0].printed);
    let pdf = printer
        .wait_for_documents(1, std::time::Duration::from_secs(20))
        .expect("the correction notice reached the printer");
    assert!(std::fs::read(&pdf[0]).unwrap().starts_with(b"%PDF"));
    let last = corrected.history.last().expect("history");
    assert!(
        last.note.contains("复印件不清晰") && last.note.contains(&first.name),
        "{}",
        last.note
    );
    assert_eq!(last.actor_name, "测试clerk-07");
    let progress = window
        .case_progress(&corrected.number)
        .await
        .expect("lookup");
    assert_eq!(
        progress.missing_materials,
        std::slice::from_ref(&first.name)
    );
    assert_eq!(progress.deadline.as_deref(), Some("2026-12-15"));

    // The applicant comes back with the paper: the case is taken in again (补正受理) and accepted.
    window
        .mark_material(&clerk, &id, &first.id, true, true)
        .await
        .expect("paper");
    let accepted = window
        .decide_application(&clerk, &id, Decision::Accept)
        .await
        .expect("受理");
    assert_eq!(accepted.status, CaseStatus::Accepted);
    assert_eq!(accepted.notices.len(), 2);
}

/// The window's desk with real devices: the ID card simulator on a pty (read once, held for the clerk) and the
/// keypad evaluator simulator on another, as the rating channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_reads_the_card_once_for_cases_and_rates_with_the_evaluator() {
    use banshi_evaluator::{EvaluatorSim, Grade as Key};
    use banshi_idcard::sim::fixtures::CardFixture;
    use banshi_idcard::sim::IdCardSimulator;

    let hall = Hall::start().await.expect("hall");
    publish_demo_catalogue(&hall).await;
    let reader = IdCardSimulator::start(hall.dir.path().join("idcard")).expect("ID card simulator");
    let keypad =
        EvaluatorSim::start(hall.dir.path().join("evaluator")).expect("evaluator simulator");
    let serial = |port: &std::path::Path| banshi_profile::SerialDevice {
        port: port.display().to_string(),
        baud: 115_200,
        simulated: true,
    };
    let (reader_port, keypad_port) = (serial(reader.link()), serial(keypad.link()));
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let window = hall
        .terminal_with_clock_and("window", "hk-window-08", clock.clone(), move |p| {
            p.devices.a4_printer = None;
            p.devices.id_reader = Some(reader_port);
            p.devices.evaluator = Some(keypad_port);
        })
        .await
        .expect("window");
    window.sync_now().await;
    let clerk = clerk(&window, "clerk-08").await;
    let catalogue = window.catalogue().await.expect("catalogue");
    let item = item_named(&catalogue, "营业执照").clone();

    // Read once: the person has no case yet; two cases start from the one read.
    reader.place_card(CardFixture::resident().with_name("测试丙"));
    let card = window.read_applicant_card(&clerk).await.expect("card read");
    assert!(card.cases.is_empty());
    assert!(card.name_masked.contains('*') && card.id_number_masked.contains('*'));
    let first = window
        .start_application_for_card(&clerk, &item.code, &card.token)
        .await
        .expect("first case from the held card");
    let second = window
        .start_application_for_card(&clerk, &item.code, &card.token)
        .await
        .expect("second case from the same read");
    assert_eq!(first.applicant_name_masked, card.name_masked);

    // The next read of the same person lists both.
    reader.remove_card();
    reader.place_card(CardFixture::resident().with_name("测试丙"));
    let again = window
        .read_applicant_card(&clerk)
        .await
        .expect("card read again");
    let mut listed: Vec<_> = again.cases.iter().map(|c| c.id.clone()).collect();
    listed.sort();
    let mut started = vec![first.id.clone(), second.id.clone()];
    started.sort();
    assert_eq!(listed, started);

    // Only the clerk who read the card may start cases from it, and logging out lets go of it.
    let other = banshi_scenarios::staff::clerk(&window, "clerk-08b").await;
    let not_theirs = window
        .start_application_for_card(&other, &item.code, &again.token)
        .await
        .unwrap_err();
    assert_eq!(not_theirs.code(), "application.card_not_held");
    let session = window
        .login_password("clerk-08b", banshi_scenarios::staff::TEST_PASSWORD)
        .await
        .expect("log in");
    let other = window.actor(Some(&session.token));
    reader.remove_card();
    reader.place_card(CardFixture::resident().with_name("测试丙"));
    let read = window.read_applicant_card(&other).await.expect("card read");
    window.logout(&session.token).await.expect("log out");
    let session = window
        .login_password("clerk-08b", banshi_scenarios::staff::TEST_PASSWORD)
        .await
        .expect("log in again");
    let after_logout = window
        .start_application_for_card(&window.actor(Some(&session.token)), &item.code, &read.token)
        .await
        .unwrap_err();
    assert_eq!(after_logout.code(), "application.card_not_held");

    // A held card expires after ten minutes; an unknown token is refused the same way.
    clock.advance(time::Duration::minutes(11));
    for token in [card.token.as_str(), "not-a-token"] {
        let expired = window
            .start_application_for_card(&clerk, &item.code, token)
            .await
            .unwrap_err();
        assert_eq!(expired.code(), "application.card_not_held");
    }
    // A resident (nobody logged in) cannot read cards at a desk.
    let resident = window
        .read_applicant_card(&Actor::Resident)
        .await
        .unwrap_err();
    assert_eq!(resident.code(), "staff.login_required");

    // 不予受理 ends the visit; the evaluator's 满意 is the rating.
    let reject = |reason: &str| Decision::Reject {
        reason: reason.into(),
    };
    window
        .decide_application(&clerk, &first.id, reject("不属于本中心受理范围"))
        .await
        .expect("不予受理");
    let press = |grade: Key| {
        let keypad = &keypad;
        move || {
            let armed = keypad.wait_until_armed(std::time::Duration::from_secs(20));
            assert!(armed.is_some(), "the evaluator's prompt was lit");
            assert!(keypad.press(grade));
        }
    };
    let (outcome, ()) = std::thread::scope(|s| {
        let presser = s.spawn(press(Key::Satisfied));
        let outcome = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current()
                .block_on(window.rate_case_with_evaluator(&clerk, &first.id))
        });
        (outcome, presser.join().expect("presser"))
    });
    let outcome = outcome.expect("rated with the evaluator");
    assert_eq!(outcome.grade, Grade::Satisfied);
    assert_eq!(
        outcome.rating.expect("recorded at once").case_number,
        first.number
    );
    assert!(window.case_view(&first.id).await.expect("case").rated);
    // Rated once: the evaluator is not even lit again.
    let twice = window
        .rate_case_with_evaluator(&clerk, &first.id)
        .await
        .unwrap_err();
    assert_eq!(twice.code(), "rating.already_rated");
    assert!(keypad
        .wait_until_armed(std::time::Duration::from_millis(300))
        .is_none());

    // 不满意 on the keypad records nothing until the applicant picks a reason on screen.
    window
        .decide_application(&clerk, &second.id, reject("材料不齐且申请人放弃补正"))
        .await
        .expect("不予受理");
    let (outcome, ()) = std::thread::scope(|s| {
        let presser = s.spawn(press(Key::Dissatisfied));
        let outcome = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current()
                .block_on(window.rate_case_with_evaluator(&clerk, &second.id))
        });
        (outcome, presser.join().expect("presser"))
    });
    let outcome = outcome.expect("key read");
    assert_eq!(
        (outcome.grade, outcome.rating.is_none()),
        (Grade::Dissatisfied, true)
    );
    assert!(!window.case_view(&second.id).await.expect("case").rated);
    let input = |reasons: Vec<String>| RatingInput {
        grade: Some(Grade::Dissatisfied),
        reasons,
        comment: String::new(),
        anonymous: false,
    };
    let no_reason = window
        .rate_case(&second.id, input(Vec::new()), RatingChannel::Evaluator)
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), "rating.reason_required");
    window
        .rate_case(
            &second.id,
            input(vec!["long_wait".into()]),
            RatingChannel::Evaluator,
        )
        .await
        .expect("rated with a reason");
    assert!(window.case_view(&second.id).await.expect("case").rated);

    // The day's figures count both, under this window: one good, one not; nobody is named.
    let supervisor = banshi_scenarios::staff::supervisor(&window).await;
    let kpi = window.kpi(&supervisor).await.expect("KPIs");
    let hall = &kpi.hall.ratings;
    assert_eq!((hall.total, hall.by_grade), (2, [0, 1, 0, 1, 0]));
    assert_eq!(hall.good_pct, Some(50.0));
    let here = window.profile().queue.window.expect("a window number");
    let desk = &kpi
        .windows
        .iter()
        .find(|w| w.window == here)
        .expect("this window's row")
        .kpi
        .ratings;
    assert_eq!((desk.total, desk.good_pct), (2, Some(50.0)));
}

/// Brief §3.4's default grade, end to end: the central server gives it to a finished case nobody rated, the
/// window that served the case pulls it, and from then on refuses a rating of that case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_nobody_rated_gets_the_servers_default_grade_and_the_window_then_refuses_a_rating() {
    let hall = Hall::start().await.expect("hall");
    publish_demo_catalogue(&hall).await;
    let window = hall
        .terminal_with("window", "hk-window-09", |p| p.devices.a4_printer = None)
        .await
        .expect("window");
    window.sync_now().await;
    let clerk = clerk(&window, "clerk-09").await;
    let catalogue = window.catalogue().await.expect("catalogue");
    let item = item_named(&catalogue, "营业执照").clone();
    let id = fill_case(&window, &clerk, &item.code, resident(40)).await;
    let rejected = window
        .decide_application(
            &clerk,
            &id,
            Decision::Reject {
                reason: "不属于本中心受理范围".into(),
            },
        )
        .await
        .expect("不予受理 finishes the case");
    window.sync_now().await;
    assert!(!rejected.rated);

    // The applicant left without rating; the server's sweep runs sixteen days later.
    let rules = banshi_core::rating::RatingRules::default();
    let now = window.clock().now_ms() + 16 * 86_400_000;
    let swept = banshi_server::rating_defaults::sweep(hall.storage.as_ref(), now, &rules)
        .await
        .expect("sweep");
    assert_eq!(swept.defaulted, 1);

    window.sync_now().await;
    let synced = window.case_view(&id).await.expect("case");
    assert!(synced.rated);
    assert!(synced.official_number.is_some());
    let input = RatingInput {
        grade: Some(Grade::VerySatisfied),
        ..RatingInput::default()
    };
    let refused = window
        .rate_case(&id, input, RatingChannel::CustomerScreen)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "rating.already_rated");
    assert!(
        refused.to_string().contains(&synced.number),
        "the message names the case by its official number: {refused}"
    );
}

/// The window's customer-facing screen (窗口互动屏): the clerk puts a case on it; the applicant checks it, says
/// something is wrong, signs, and later rates, each answer bound to the offer on the screen; the screen goes back
/// to the nameplate when the next ticket is called, so the next applicant never sees this one's case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_screen_shows_the_clerks_case_takes_the_signature_and_rating_and_forgets_them_at_the_next_ticket(
) {
    use banshi_terminal::{CustomerAnswer, CustomerOffer, CustomerScreenView};

    let hall = Hall::start().await.expect("hall");
    let admin = publish_demo_catalogue(&hall).await;
    let queue = hall
        .terminal("queue-ticket", "hk-qm-cs")
        .await
        .expect("queue");
    let window = hall
        .terminal_with("window", "hk-window-cs", |p| {
            // The example desk has its customer screen on the second monitor.
            p.devices.a4_printer = None;
        })
        .await
        .expect("window");
    let plain = hall
        .terminal_with("window", "hk-window-plain", |p| {
            p.devices.a4_printer = None;
            p.queue.window = Some(6);
            p.ui.customer_screen_monitor = None;
        })
        .await
        .expect("window without a customer screen");
    window.sync_now().await;
    plain.sync_now().await;
    assert!(window.status().await.expect("status").customer_screen);
    assert!(!plain.status().await.expect("status").customer_screen);
    assert_eq!(
        plain.customer_screen().await.unwrap_err().code(),
        "customer_screen.not_configured"
    );

    // Between applicants: the nameplate, with the clerk once signed in.
    banshi_scenarios::staff::ensure_account(&window, "clerk-cs", &[Role::Clerk], &[5]);
    let clerk = clerk(&window, "clerk-cs").await;
    let closed = window.customer_screen().await.expect("nameplate");
    assert!(matches!(
        closed,
        CustomerScreenView::Nameplate {
            window: 5,
            staff_name: None,
            ..
        }
    ));
    window.window_sign_in(&clerk).await.expect("sign in");
    queue.issue_ticket("A").await.expect("ticket");
    queue.sync_now().await;
    window.sync_now().await;
    let called = window.window_call_next(&clerk).await.expect("call");
    assert!(called.current.is_some());
    match window.customer_screen().await.expect("nameplate") {
        CustomerScreenView::Nameplate {
            staff_id,
            staff_name,
            ..
        } => {
            assert_eq!(staff_id.as_deref(), Some("clerk-cs"));
            assert_eq!(staff_name.as_deref(), Some("测试clerk-cs"));
        }
        other => panic!("expected the nameplate, got {other:?}"),
    }

    let catalogue = window.catalogue().await.expect("catalogue");
    let item = item_named(&catalogue, "营业执照").clone();
    let applicant = resident(71);
    let id = fill_case(&window, &clerk, &item.code, applicant.clone()).await;

    // Only a clerk puts something on the screen.
    let resident_offer = window
        .show_on_customer_screen(&Actor::Resident, &id, CustomerOffer::Confirm)
        .await
        .unwrap_err();
    assert_eq!(resident_offer.code(), "staff.login_required");

    // Confirm: the form in the catalogue's words, the ID number masked.
    let shown = window
        .show_on_customer_screen(&clerk, &id, CustomerOffer::Confirm)
        .await
        .expect("shown");
    let CustomerScreenView::Confirm { offer, case } = shown else {
        panic!("expected the confirm page, got {shown:?}");
    };
    assert_eq!(case.item_name, item.name);
    assert!(!case.signed);
    let text = serde_json::to_string(&case).expect("json");
    assert!(
        !text.contains(&applicant.id_number),
        "the full ID number is never on the screen"
    );
    assert!(case.fields.iter().any(|f| f.value == applicant.name));

    // The wrong answer for the page, or an answer to an old offer, is refused and changes nothing.
    let wrong = window
        .customer_screen_rate(&offer, rating(Grade::Satisfied))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), "customer_screen.wrong_answer");
    let stale = window
        .customer_screen_sign("not-the-offer", vec![0x89, b'P', b'N', b'G'])
        .await
        .unwrap_err();
    assert_eq!(stale.code(), "customer_screen.stale_offer");

    // "Something is wrong": the clerk is told, the case unchanged; the offer is answered.
    let disputed = window
        .customer_screen_dispute(&offer)
        .await
        .expect("dispute");
    assert!(matches!(
        disputed,
        CustomerScreenView::Answered {
            answer: CustomerAnswer::Disputed,
            ..
        }
    ));
    let answered_twice = window
        .customer_screen_sign(&offer, vec![0x89, b'P', b'N', b'G'])
        .await
        .unwrap_err();
    assert_eq!(answered_twice.code(), "customer_screen.stale_offer");
    assert!(!window.case_view(&id).await.expect("case").signed);

    // Shown again (a new offer) and signed: the signature is on the case, written in the resident's name.
    let CustomerScreenView::Confirm { offer: second, .. } = window
        .show_on_customer_screen(&clerk, &id, CustomerOffer::Confirm)
        .await
        .expect("shown again")
    else {
        panic!("expected the confirm page");
    };
    assert_ne!(second, offer);
    let png = b"\x89PNG\r\n\x1a\n signature strokes".to_vec();
    let signed = window
        .customer_screen_sign(&second, png)
        .await
        .expect("signed");
    let CustomerScreenView::Answered {
        answer: CustomerAnswer::Signed,
        case_id,
        ..
    } = signed
    else {
        panic!("expected the signed answer, got {signed:?}");
    };
    assert_eq!(case_id, id);
    assert!(window.case_view(&id).await.expect("case").signed);
    let events = window.store().audit_events(0, 100_000).expect("audit");
    assert!(
        events
            .iter()
            .any(|e| e.actor == "resident" && e.record_id.as_deref() == Some(id.as_str())),
        "the signature is written in the resident's name"
    );

    // Decided; the rating page then, answered with a dissatisfied grade and its reason.
    for m in window.case_view(&id).await.expect("case").materials {
        window
            .mark_material(&clerk, &id, &m.id, true, true)
            .await
            .expect("paper");
    }
    window
        .decide_application(&clerk, &id, Decision::Accept)
        .await
        .expect("受理");
    let after_decision = window
        .show_on_customer_screen(&clerk, &id, CustomerOffer::Confirm)
        .await
        .unwrap_err();
    assert_eq!(after_decision.code(), "application.not_editable");
    let CustomerScreenView::Rate {
        offer: rate_offer,
        case_number,
        window: 5,
        ..
    } = window
        .show_on_customer_screen(&clerk, &id, CustomerOffer::Rate)
        .await
        .expect("rating page")
    else {
        panic!("expected the rating page");
    };
    assert_eq!(
        case_number,
        window.case_view(&id).await.expect("case").number
    );
    // The hall's 好差评 rules reach the window through its hall file: here comments of at most 20 characters.
    let hall_file = include_str!("../../../kiosk-profiles/halls/hk-longhua.toml")
        .replace("max_comment_chars = 500", "max_comment_chars = 20");
    admin
        .import_hall(&banshi_scenarios::staff::manager(&admin).await, &hall_file)
        .await
        .expect("hall file");
    admin.sync_now().await;
    window.sync_now().await;
    let mut long = rating(Grade::VerySatisfied);
    long.comment = "窗口工作人员态度很好，办事效率很高，材料一次就收齐了".into();
    let too_long = window
        .customer_screen_rate(&rate_offer, long)
        .await
        .unwrap_err();
    assert_eq!(too_long.code(), "rating.comment_too_long");
    assert!(too_long.to_string().contains("20"), "{too_long}");
    let no_reason = window
        .customer_screen_rate(&rate_offer, rating(Grade::Dissatisfied))
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), "rating.reason_required");
    let mut input = rating(Grade::Dissatisfied);
    input.reasons = vec!["long_wait".into()];
    let rated = window
        .customer_screen_rate(&rate_offer, input)
        .await
        .expect("rated");
    assert_eq!(rated.grade, Grade::Dissatisfied);
    let stored = window
        .store()
        .list::<banshi_core::rating::Rating>()
        .expect("ratings");
    let stored: Vec<_> = stored
        .iter()
        .filter(|(r, _)| r.body.case_id == id)
        .collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0.body.channel, RatingChannel::CustomerScreen);
    assert_eq!(stored[0].0.body.window, Some(5));
    // One rating per case: the page is not even offered again.
    let twice = window
        .show_on_customer_screen(&clerk, &id, CustomerOffer::Rate)
        .await
        .unwrap_err();
    assert_eq!(twice.code(), "rating.already_rated");

    // The clerk calls the next ticket: the screen forgets this applicant.
    assert!(matches!(
        window.customer_screen().await.expect("answered"),
        CustomerScreenView::Answered { .. }
    ));
    window.window_finish(&clerk).await.expect("finish");
    assert!(matches!(
        window.customer_screen().await.expect("nameplate"),
        CustomerScreenView::Nameplate { .. }
    ));
    let late = window
        .customer_screen_rate(&rate_offer, rating(Grade::VerySatisfied))
        .await
        .unwrap_err();
    assert_eq!(late.code(), "customer_screen.stale_offer");
}

/// 业务预审: cases a kiosk submitted wait at the window; the clerk passes one (it goes on to 受理) and rejects
/// another with the opinion, which ends it and shows in the kiosk's progress lookup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_pre_reviews_kiosk_cases_passing_one_on_to_acceptance_and_rejecting_one_with_the_opinion(
) {
    use banshi_core::application::PreReview;

    let hall = Hall::start().await.expect("hall");
    publish_demo_catalogue(&hall).await;
    let kiosk = synced_kiosk(&hall, "hk-kiosk-pr").await;
    let window = hall
        .terminal_with("window", "hk-window-pr", |p| p.devices.a4_printer = None)
        .await
        .expect("window");
    let catalogue = kiosk.catalogue().await.expect("catalogue");
    let item = item_named(&catalogue, "出生登记").clone();
    let mut ids = Vec::new();
    for n in [81, 82] {
        let id = fill_case(&kiosk, &Actor::Resident, &item.code, resident(n)).await;
        kiosk
            .submit_application(&Actor::Resident, &id)
            .await
            .expect("submit");
        ids.push(id);
    }
    kiosk.sync_now().await;
    window.sync_now().await;
    let clerk = clerk(&window, "clerk-pr").await;
    let (pass_id, reject_id) = (&ids[0], &ids[1]);

    // Nobody logged in may not; a rejection without an opinion is refused and records nothing.
    let resident = window
        .pre_review_application(
            &Actor::Resident,
            pass_id,
            PreReview::Pass {
                opinion: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(resident.code(), "staff.login_required");
    let bare = window
        .pre_review_application(
            &clerk,
            reject_id,
            PreReview::Reject {
                opinion: " ".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bare.code(), "application.reason_required");
    let before = window.case_view(reject_id).await.expect("case");
    assert!(matches!(
        before.status,
        CaseStatus::Submitted | CaseStatus::HandedOver
    ));

    // Passed: 待预审 → 预审通过 by the clerk, and the case goes on to 受理.
    let passed = window
        .pre_review_application(
            &clerk,
            pass_id,
            PreReview::Pass {
                opinion: "材料齐全，可以受理".into(),
            },
        )
        .await
        .expect("预审通过");
    assert_eq!(passed.status, CaseStatus::PreReviewPassed);
    let steps: Vec<_> = passed.history.iter().rev().take(2).collect();
    assert_eq!(steps[1].status, CaseStatus::PreReview);
    assert_eq!(steps[0].note, "材料齐全，可以受理");
    assert_eq!(steps[0].actor_name, "测试clerk-pr");
    for m in &passed.materials {
        window
            .mark_material(&clerk, pass_id, &m.id, true, true)
            .await
            .expect("paper");
    }
    let accepted = window
        .decide_application(&clerk, pass_id, Decision::Accept)
        .await
        .expect("受理 after the pre-review");
    assert_eq!(accepted.status, CaseStatus::Accepted);

    // Rejected with the opinion: final; the applicant's lookup at the kiosk shows why.
    let rejected = window
        .pre_review_application(
            &clerk,
            reject_id,
            PreReview::Reject {
                opinion: "出生医学证明照片不清晰，请重新提交".into(),
            },
        )
        .await
        .expect("预审驳回");
    assert_eq!(rejected.status, CaseStatus::PreReviewRejected);
    let decide = window
        .decide_application(
            &clerk,
            reject_id,
            Decision::Reject {
                reason: "不属于本中心受理范围".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(decide.code(), "application.bad_transition");
    window.sync_now().await;
    kiosk.sync_now().await;
    let progress = kiosk
        .case_progress(&rejected.number)
        .await
        .expect("progress at the kiosk");
    assert_eq!(progress.status, CaseStatus::PreReviewRejected);
    assert!(progress
        .history
        .iter()
        .any(|s| s.note == "出生医学证明照片不清晰，请重新提交"));
}

/// 扫码查询: the receipt's QR (the progress URL of its case) held under the kiosk's scanner gun (serial, the
/// wire-level simulator on a pty) finds the case's progress; a code that is no receipt's is answered clearly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipts_qr_under_the_kiosks_scanner_shows_its_cases_progress() {
    use banshi_scanner::sim::SerialScannerSim;

    let hall = Hall::start().await.expect("hall");
    publish_demo_catalogue(&hall).await;
    let scanner =
        SerialScannerSim::start(hall.dir.path().join("scanner")).expect("scanner simulator");
    let port = scanner.link().display().to_string();
    let kiosk = hall
        .terminal_with("self-service", "hk-kiosk-scan", move |p| {
            p.devices.qr_scanner = Some(banshi_profile::QrScanner {
                kind: "serial".into(),
                device: port,
            });
        })
        .await
        .expect("kiosk");
    kiosk.sync_now().await;
    let catalogue = kiosk.catalogue().await.expect("catalogue");
    let item = item_named(&catalogue, "出生登记").clone();
    let id = fill_case(&kiosk, &Actor::Resident, &item.code, resident(91)).await;
    let submitted = kiosk
        .submit_application(&Actor::Resident, &id)
        .await
        .expect("submit");
    assert!(submitted.progress_url.contains(&submitted.number));

    // The resident holds the receipt under the scanner while the lookup waits.
    let scan = |code: String| {
        let scanner = &scanner;
        move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            scanner.scan(&code).expect("scan");
        }
    };
    let found = std::thread::scope(|s| {
        s.spawn(scan(submitted.progress_url.clone()));
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(kiosk.scan_case_progress())
        })
    })
    .expect("progress by scan");
    assert_eq!(found.number, submitted.number);
    assert_eq!(found.status, submitted.status);

    let unknown = std::thread::scope(|s| {
        s.spawn(scan("https://example.gov.cn/not-a-receipt".into()));
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(kiosk.scan_case_progress())
        })
    })
    .unwrap_err();
    assert_eq!(unknown.code(), "application.unknown_case");
}

/// A terminal's API takes a rating only through its own screens' channel: a kiosk rates as `kiosk`, a window's
/// clerk records the evaluator's reasons as `evaluator`; anything else (a QR's or SMS channel, the server's default
/// grade, the kiosk channel at a window) is `rating.bad_channel`, and a window's evaluator channel needs a clerk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_takes_ratings_only_through_its_own_screens_channels() {
    let hall = Hall::start().await.expect("hall");
    publish_demo_catalogue(&hall).await;
    let kiosk = hall
        .terminal("self-service", "hk-kiosk-ch")
        .await
        .expect("kiosk");
    let window = hall
        .terminal_with("window", "hk-window-ch", |p| p.devices.a4_printer = None)
        .await
        .expect("window");
    kiosk.sync_now().await;
    let catalogue = kiosk.catalogue().await.expect("catalogue");
    let item = item_named(&catalogue, "出生登记").clone();
    let id = fill_case(&kiosk, &Actor::Resident, &item.code, resident(95)).await;
    kiosk
        .submit_application(&Actor::Resident, &id)
        .await
        .expect("submit");
    kiosk.sync_now().await;
    window.sync_now().await;

    for channel in [
        RatingChannel::ReceiptQr,
        RatingChannel::WindowQr,
        RatingChannel::Sms,
        RatingChannel::CustomerScreen,
        RatingChannel::Evaluator,
        RatingChannel::Default,
    ] {
        let refused = kiosk
            .rate_case_from_screen(&Actor::Resident, &id, rating(Grade::Satisfied), channel)
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            "rating.bad_channel",
            "{channel:?} at a kiosk"
        );
    }
    let at_window = window
        .rate_case_from_screen(
            &Actor::Resident,
            &id,
            rating(Grade::Satisfied),
            RatingChannel::Kiosk,
        )
        .await
        .unwrap_err();
    assert_eq!(at_window.code(), "rating.bad_channel");
    let no_clerk = window
        .rate_case_from_screen(
            &Actor::Resident,
            &id,
            rating(Grade::Satisfied),
            RatingChannel::Evaluator,
        )
        .await
        .unwrap_err();
    assert_eq!(no_clerk.code(), "staff.login_required");
    assert!(!kiosk.case_view(&id).await.expect("case").rated);

    let rated = kiosk
        .rate_case_from_screen(
            &Actor::Resident,
            &id,
            rating(Grade::VerySatisfied),
            RatingChannel::Kiosk,
        )
        .await
        .expect("the kiosk's own channel");
    assert_eq!(rated.grade, Grade::VerySatisfied);
}

/// 人证核验 at a kiosk whose profile asks for it: the face camera's frame (the astronaut test photo) is compared
/// with the card's photo (what the vendor's converter makes of it) at the comparison service (the simulator).
/// The card holder's case starts; someone else's face is `face.mismatch` and no case starts; a card photo the
/// kiosk cannot decode is `face.photo_unavailable`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_with_face_verification_starts_a_case_only_for_the_card_holder() {
    use banshi_camera::face::{FaceSimulator, SimulatorOptions};
    use banshi_idcard::sim::fixtures::CardFixture;
    use banshi_idcard::sim::IdCardSimulator;

    let hall = Hall::start().await.expect("hall");
    publish_demo_catalogue(&hall).await;
    let astronaut = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../drivers/camera/tests/fixtures/astronaut.png");
    let frames = hall.dir.path().join("face-frames");
    std::fs::create_dir_all(&frames).expect("frames folder");
    std::fs::copy(&astronaut, frames.join("frame.png")).expect("face camera frame");
    // Someone else: the same photo upside down scores far below any threshold.
    let someone_else = hall.dir.path().join("someone-else.png");
    image::open(&astronaut)
        .expect("astronaut")
        .flipv()
        .save(&someone_else)
        .expect("someone else's photo");
    // What the converter "decodes" the card photo to; the test swaps the file between reads.
    let card_photo = hall.dir.path().join("card-photo.png");
    std::fs::copy(&astronaut, &card_photo).expect("card photo");

    let service = FaceSimulator::start(SimulatorOptions::default())
        .await
        .expect("face comparison simulator");
    let reader =
        IdCardSimulator::start(hall.dir.path().join("idcard-face")).expect("ID card simulator");
    let profile = |reader: &IdCardSimulator, decoder: Vec<String>| {
        let (port, frames, url) = (
            reader.link().display().to_string(),
            format!("file:{}", frames.display()),
            service.url(),
        );
        move |p: &mut banshi_profile::Profile| {
            p.devices.id_reader = Some(banshi_profile::SerialDevice {
                port,
                baud: 115_200,
                simulated: true,
            });
            p.devices.face_camera = Some(banshi_profile::Camera { device: frames });
            p.devices.face_verification = Some(banshi_profile::FaceVerification {
                service: url,
                threshold: 70,
                photo_decoder: decoder,
            });
        }
    };
    let converter = vec![
        "/bin/sh".to_string(),
        "-c".into(),
        "cp \"$0\" \"$2\"".into(),
        card_photo.display().to_string(),
        "{wlt}".into(),
        "{out}".into(),
    ];
    let kiosk = hall
        .terminal_with("self-service", "hk-kiosk-face", profile(&reader, converter))
        .await
        .expect("kiosk");
    kiosk.sync_now().await;
    assert!(kiosk.status().await.expect("status").face_verification);
    let catalogue = kiosk.catalogue().await.expect("catalogue");
    let item = item_named(&catalogue, "出生登记").clone();
    let cases = |t: &Terminal| {
        t.store()
            .list::<banshi_core::application::Application>()
            .expect("cases")
            .len()
    };

    // The card holder in front of the camera.
    reader.place_card(CardFixture::resident());
    let started = kiosk
        .start_application_with_card(&Actor::Resident, &item.code)
        .await
        .expect("the card holder's case starts");
    assert_eq!(started.status, CaseStatus::Draft);
    assert_eq!(cases(&kiosk), 1);

    // Someone else's card: nothing starts.
    std::fs::copy(&someone_else, &card_photo).expect("swap the card photo");
    reader.remove_card();
    reader.place_card(CardFixture::resident().with_name("测试丁"));
    let mismatch = kiosk
        .start_application_with_card(&Actor::Resident, &item.code)
        .await
        .unwrap_err();
    assert_eq!(mismatch.code(), "face.mismatch");
    assert_eq!(cases(&kiosk), 1, "a refused verification starts no case");

    // A kiosk without the vendor's converter has only a placeholder photo: it does not compare at all.
    let second_reader =
        IdCardSimulator::start(hall.dir.path().join("idcard-face-2")).expect("ID card simulator");
    let blind = hall
        .terminal_with(
            "self-service",
            "hk-kiosk-face-2",
            profile(&second_reader, Vec::new()),
        )
        .await
        .expect("kiosk without a converter");
    blind.sync_now().await;
    let before = cases(&blind);
    second_reader.place_card(CardFixture::resident());
    let unavailable = blind
        .start_application_with_card(&Actor::Resident, &item.code)
        .await
        .unwrap_err();
    assert_eq!(unavailable.code(), "face.photo_unavailable");
    assert_eq!(cases(&blind), before);
    service.shutdown().await;
}

/// 查询打印 at the kiosk (brief §2: 登录 → 查询 → 打印 → 完成): an item with no situations and no materials; the
/// resident's card pre-fills the form, they choose the year, and the case ends as 已打印 with the slip printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_print_item_ends_at_the_kiosk_as_printed_with_its_slip() {
    let hall = Hall::start().await.expect("hall");
    publish_demo_catalogue(&hall).await;
    let kiosk = synced_kiosk(&hall, "hk-kiosk-qp").await;
    let catalogue = kiosk.catalogue().await.expect("catalogue");
    let item = item_named(&catalogue, "住房公积金缴存明细打印").clone();
    assert!(item.is_query_print());
    assert!(item.visible_questions(&Answers::new()).is_empty());
    assert!(item.materials_for(&Answers::new()).is_empty());
    let id = fill_case(&kiosk, &Actor::Resident, &item.code, resident(97)).await;
    let done = kiosk
        .submit_application(&Actor::Resident, &id)
        .await
        .expect("printed");
    assert_eq!(done.status, CaseStatus::Printed);
    assert!(done.status.is_final());
    let slip = hall
        .printer
        .wait_for_jobs(1, std::time::Duration::from_secs(10))
        .await
        .expect("the slip reached the printer");
    assert!(
        slip.last()
            .expect("job")
            .text
            .contains(&done.provisional_number),
        "{}",
        slip.last().expect("job").text
    );
    // Finished at once: nothing more to submit, and the resident may rate it.
    let again = kiosk
        .submit_application(&Actor::Resident, &id)
        .await
        .unwrap_err();
    assert_eq!(again.code(), "application.not_editable");
    kiosk
        .rate_case_from_screen(
            &Actor::Resident,
            &id,
            rating(Grade::Satisfied),
            RatingChannel::Kiosk,
        )
        .await
        .expect("rated");
}
