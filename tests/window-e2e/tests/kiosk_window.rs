//! The real app window under Xvfb: the kiosk home screen comes up with the profile's data (fetched over
//! Tauri IPC from the backend), and a queue machine issues a ticket through IPC.
//!
//! Marked `#[ignore]` so a plain `cargo test --workspace` (no display) lists them as ignored instead of
//! failing; `cargo xtask test` runs them under Xvfb with `--ignored`.

use banshi_window_e2e::AppSession;

#[tokio::test]
#[ignore = "needs Xvfb, tauri-driver and the built app: run by `cargo xtask test` with --ignored"]
async fn the_self_service_kiosk_opens_its_home_screen_with_the_profiles_identity() {
    let app = AppSession::start("self-service")
        .await
        .expect("app session");
    app.text_of("mode-self-service").await.expect("home screen");
    assert_eq!(
        app.text_of("terminal-id")
            .await
            .expect("terminal id")
            .trim(),
        "hk-longhua-zz-01"
    );
    assert!(app
        .text_of("outlet")
        .await
        .expect("outlet")
        .contains("海口市龙华区政务服务中心"));
    app.screenshot("window-self-service")
        .await
        .expect("screenshot");
    app.finish().await.expect("finish");
}

#[tokio::test]
#[ignore = "needs Xvfb, tauri-driver and the built app: run by `cargo xtask test` with --ignored"]
async fn the_queue_machine_window_issues_a_ticket_over_ipc() {
    let app = AppSession::start("queue-ticket")
        .await
        .expect("app session");
    app.text_of("mode-queue-ticket")
        .await
        .expect("category screen");
    app.client
        .find(fantoccini::Locator::Css("[data-testid=\"category-B\"]"))
        .await
        .expect("category B button")
        .click()
        .await
        .expect("click");
    // No printer listens in this test: the ticket is issued and saved, and the screen says it was not printed.
    assert_eq!(
        app.text_of("issued-number")
            .await
            .expect("issued number")
            .trim(),
        "B001"
    );
    app.screenshot("window-queue-ticket-issued")
        .await
        .expect("screenshot");
    app.finish().await.expect("finish");
}

/// A window desk whose profile names a customer screen opens it as a second app window (`customer`; Xvfb has one
/// monitor, so beside the desk rather than full screen on the second): the nameplate of window 5, over the same
/// IPC as the desk, with no staff session in it.
#[tokio::test]
#[ignore = "needs Xvfb, tauri-driver and the built app: run by `cargo xtask test` with --ignored"]
async fn a_window_desk_opens_its_customer_screen_as_a_second_window_showing_the_nameplate() {
    let app = AppSession::start("window").await.expect("app session");
    let desk = app.client.window().await.expect("current window");
    let handles = {
        let mut found = Vec::new();
        for _ in 0..100 {
            found = app.client.windows().await.expect("window handles");
            if found.len() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        found
    };
    assert_eq!(handles.len(), 2, "the desk and its customer screen");
    let customer = handles
        .into_iter()
        .find(|h| *h != desk)
        .expect("the second window");
    app.client
        .switch_to_window(customer)
        .await
        .expect("switch to the customer screen");
    assert!(app
        .text_of("cs-window")
        .await
        .expect("the nameplate")
        .contains('5'));
    assert!(app
        .text_of("cs-closed")
        .await
        .expect("nobody signed in")
        .contains("暂停服务"));
    app.screenshot("window-customer-screen-nameplate")
        .await
        .expect("screenshot");
    app.client
        .switch_to_window(desk)
        .await
        .expect("back to the desk");
    app.finish().await.expect("finish");
}
