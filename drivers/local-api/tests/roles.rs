//! Every `/api` route with every role: a route refuses exactly the roles `ROUTE_TABLE` says lack its
//! permission (`staff.login_required` for the resident, `staff.forbidden` for staff), and lets the others
//! through to whatever the route then does. A second test keeps the table complete: a route registered in this
//! crate without a table entry fails it.

use std::collections::BTreeSet;
use std::sync::Arc;

use banshi_core::staff::{Actor, Role, StaffSession};
use banshi_local_api::{DirAssets, ROUTE_TABLE};
use banshi_scenarios::staff::{ensure_account, TEST_PASSWORD};
use banshi_scenarios::Hall;

const ROLES: [Option<Role>; 6] = [
    None,
    Some(Role::Clerk),
    Some(Role::Supervisor),
    Some(Role::HallManager),
    Some(Role::FieldStaff),
    Some(Role::FleetAdmin),
];

fn actor_for(role: Option<Role>) -> Actor {
    match role {
        None => Actor::Resident,
        Some(r) => Actor::Staff(StaffSession {
            staff_id: r.as_str().to_string(),
            name: String::new(),
            hall_id: Some("hk-longhua".into()),
            roles: vec![r],
            windows: vec![5],
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_exactly_the_roles_without_its_permission() {
    let hall = Hall::start().await.expect("hall");
    let terminal = hall
        .terminal("window", "hk-longhua-ck-05")
        .await
        .expect("terminal");
    let ui = hall.dir.path().join("ui");
    std::fs::create_dir_all(&ui).expect("ui dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(banshi_local_api::serve(
        listener,
        Arc::clone(&terminal),
        Arc::new(DirAssets(ui)),
        std::future::pending(),
    ));
    let client = reqwest::Client::new();
    let mut checked = 0;
    for role in ROLES {
        let token = match role {
            None => None,
            Some(r) => {
                ensure_account(&terminal, r.as_str(), &[r], &[5]);
                let login: serde_json::Value = client
                    .post(format!("{base}/api/login"))
                    .json(&serde_json::json!({"staff_id": r.as_str(), "password": TEST_PASSWORD}))
                    .send()
                    .await
                    .expect("login")
                    .json()
                    .await
                    .expect("login json");
                Some(login["token"].as_str().expect("token").to_string())
            }
        };
        let actor = actor_for(role);
        for (method, path, permission) in ROUTE_TABLE {
            let Some(permission) = permission else {
                continue;
            };
            let url = format!("{base}{path}");
            let mut request = match *method {
                "GET" => client.get(&url),
                "POST" => client.post(&url).json(&serde_json::json!({})),
                "PUT" => client.put(&url).body(""),
                other => panic!("method {other} not covered"),
            };
            if let Some(t) = &token {
                request = request.bearer_auth(t);
            }
            let response = request.send().await.expect("send");
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            let code = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_string))
                .unwrap_or_default();
            let refused = code == "staff.forbidden" || code == "staff.login_required";
            let who = role.map_or("resident", Role::as_str);
            if actor.can(*permission) {
                assert!(
                    !refused,
                    "{who} may {permission:?} but {method} {path} answered {status} {body}"
                );
            } else {
                assert!(
                    refused,
                    "{who} lacks {permission:?} but {method} {path} answered {status} {body}"
                );
                let expected = if role.is_none() { 401 } else { 403 };
                assert_eq!(status, expected, "{who}: {method} {path}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 6 * 25, "only {checked} route × role checks ran");
}

/// Every `.route("/api…", get(..).post(..))` in this crate's sources, as (METHOD, path).
fn registered_api_routes() -> BTreeSet<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut routes = BTreeSet::new();
    for entry in std::fs::read_dir(src).expect("src") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        for (i, _) in text.match_indices(".route(") {
            let rest = &text[i + ".route(".len()..];
            let rest = rest.trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let path: String = rest.chars().take_while(|c| *c != '"').collect();
            if !path.starts_with("/api") || path.contains('*') {
                continue;
            }
            // The whole `.route(…)` call, which rustfmt may have spread over several lines.
            let mut depth = 0i32;
            let call: String = rest
                .chars()
                .take_while(|c| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth >= 0
                })
                .collect();
            for method in ["get", "post", "put", "delete", "patch"] {
                if call.contains(&format!("{method}(")) {
                    routes.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
    }
    routes
}

#[test]
fn the_route_table_names_every_api_route_the_crate_registers() {
    let table: BTreeSet<(String, String)> = ROUTE_TABLE
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let registered = registered_api_routes();
    assert!(registered.len() >= 25, "found only {registered:?}");
    let missing: Vec<_> = registered.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "routes without a ROUTE_TABLE entry: {missing:?}"
    );
    let stale: Vec<_> = table.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "ROUTE_TABLE entries with no route: {stale:?}"
    );
}
