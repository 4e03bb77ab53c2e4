//! Removable media: a terminal that cannot reach the server exports what it has not synced; another
//! machine imports it (twice, which changes nothing) and sends it on.

use banshi_scenarios::Hall;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_bundle_imports_once_and_reaches_the_server() {
    let hall = Hall::start().await.expect("hall");
    // Never enrolled, so it never syncs: a field laptop that has been offline since it was installed.
    let field = hall
        .unenrolled_terminal("queue-ticket", "qm-field")
        .expect("field");
    for category in ["A", "B", "A"] {
        field.issue_ticket(category).await.expect("issue");
    }
    let scan = field
        .add_blob_bytes(b"page one of a scanned form".to_vec())
        .await
        .expect("blob")
        .sm3;

    let stick = hall.dir.path().join("usb");
    std::fs::create_dir_all(&stick).unwrap();
    let bundle = stick.join("qm-field.banshi-bundle");
    // A passphrase is all that protects records on a lost stick: a short one is refused before anything is written.
    let short = field.export_bundle(&bundle, "1234567").await.unwrap_err();
    assert_eq!(
        banshi_core::ErrorCode::code(&short),
        "bundle.weak_passphrase"
    );
    assert!(!bundle.exists());
    let header = field
        .export_bundle(&bundle, "龙华-2026-外勤")
        .await
        .expect("export");
    assert_eq!((header.records, header.blobs), (3, 1));
    // Nothing readable in the file without the passphrase.
    let raw = std::fs::read(&bundle).unwrap();
    assert!(!raw.windows(26).any(|w| w == b"page one of a scanned form"));

    let window = hall.terminal("window", "ck-05").await.expect("window");
    let wrong = window.import_bundle(&bundle, "wrong").await.unwrap_err();
    assert_eq!(
        banshi_core::ErrorCode::code(&wrong),
        "bundle.wrong_passphrase"
    );

    let first = window
        .import_bundle(&bundle, "龙华-2026-外勤")
        .await
        .expect("import");
    assert_eq!((first.records_changed, first.blobs_added), (3, 1));
    let again = window
        .import_bundle(&bundle, "龙华-2026-外勤")
        .await
        .expect("import again");
    assert_eq!(
        (
            again.records_changed,
            again.records_unchanged,
            again.blobs_added
        ),
        (0, 3, 0)
    );
    assert_eq!(
        window
            .list_tickets(&banshi_scenarios::staff::supervisor(&window).await)
            .await
            .unwrap()
            .len(),
        3
    );

    window.sync_now().await;
    assert_eq!(hall.storage.document_count().await.unwrap(), 3);
    assert_eq!(
        hall.storage
            .blob_in_scope(&scan, "hall:hk-longhua")
            .await
            .unwrap(),
        Some(26)
    );

    // A changed byte anywhere is caught by the signature.
    let mut tampered = raw.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;
    let bad = stick.join("tampered.banshi-bundle");
    std::fs::write(&bad, &tampered).unwrap();
    let error = window
        .import_bundle(&bad, "龙华-2026-外勤")
        .await
        .unwrap_err();
    assert_eq!(banshi_core::ErrorCode::code(&error), "bundle.bad_signature");
    // A bundle cut short anywhere (a stick pulled out mid-copy) is refused, never half imported.
    for cut in [5, 17, 30, raw.len() / 3, raw.len() - 1] {
        std::fs::write(&bad, &raw[..cut]).unwrap();
        let error = window
            .import_bundle(&bad, "龙华-2026-外勤")
            .await
            .unwrap_err();
        let code = banshi_core::ErrorCode::code(&error);
        assert!(
            code == "bundle.not_a_bundle" || code == "bundle.bad_signature",
            "cut at {cut}: {code}"
        );
    }
    // And a file that is not a bundle at all.
    std::fs::write(&bad, b"hello").unwrap();
    let error = window.import_bundle(&bad, "x").await.unwrap_err();
    assert_eq!(banshi_core::ErrorCode::code(&error), "bundle.not_a_bundle");
}
