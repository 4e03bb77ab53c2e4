//! Convergence under partitions: three terminals, a hall relay and the central server, random edits and
//! random partition/heal schedules. After everything heals, every node holds identical documents and
//! every change any terminal made is present everywhere.
//!
//! Terminals are a real store plus real sync clients (one towards the relay, one towards the central
//! server, sharing the store and the SM2 identity), so a terminal also moves between relay and central
//! server at random. A partitioned terminal or a cut upstream link simply does not sync; what it does
//! meanwhile (edit, or sync with the other side) is part of the schedule.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use automerge::{AutoCommit, ChangeHash};
use banshi_core::queue::{hall_scope, Ticket};
use banshi_core::SystemClock;
use banshi_scenarios::{Hall, RelayNode};
use banshi_store::{DataKey, Durability, Store};
use banshi_sync_client::SyncClient;
use proptest::prelude::*;

const HALL: &str = "hk-longhua";
const TERMINALS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    /// Terminal issues a new ticket.
    Create(usize),
    /// Terminal edits the n-th ticket it knows (concurrent edits of one ticket happen often).
    Edit(usize, usize),
    /// Terminal syncs with the relay (`true`) or the central server.
    Sync(usize, bool),
    /// The relay syncs upstream.
    Upstream,
    /// Cut or restore a terminal's network.
    TogglePartition(usize),
    /// Cut or restore the hall's WAN link.
    ToggleUpstream,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..TERMINALS).prop_map(Op::Create),
        3 => (0..TERMINALS, 0..8usize).prop_map(|(t, n)| Op::Edit(t, n)),
        4 => (0..TERMINALS, any::<bool>()).prop_map(|(t, r)| Op::Sync(t, r)),
        2 => Just(Op::Upstream),
        1 => (0..TERMINALS).prop_map(Op::TogglePartition),
        1 => Just(Op::ToggleUpstream),
    ]
}

struct Node {
    store: Arc<Store>,
    via_relay: SyncClient,
    via_central: SyncClient,
    partitioned: bool,
}

struct World {
    hall: Hall,
    relay: RelayNode,
    nodes: Vec<Node>,
    upstream_cut: bool,
    /// Every change hash a terminal produced, per document.
    made: BTreeMap<String, BTreeSet<ChangeHash>>,
    issued: u32,
}

impl World {
    async fn new() -> World {
        let hall = Hall::start().await.expect("hall");
        let relay = hall.start_relay(HALL).await.expect("relay");
        let mut nodes = Vec::new();
        for i in 0..TERMINALS {
            let id = format!("t{i}");
            let identity = hall.enrolled_identity(&id, HALL).await.expect("enroll");
            let store = Arc::new(
                Store::open(
                    &hall.dir.path().join(format!("{id}.sqlite")),
                    DataKey::generate().expect("key"),
                )
                .expect("store"),
            );
            let client = |url: &str| {
                SyncClient::new(
                    url,
                    Arc::clone(&identity),
                    HALL,
                    Arc::clone(&store),
                    Arc::new(SystemClock),
                )
                .expect("client")
            };
            nodes.push(Node {
                via_relay: client(&relay.url),
                via_central: client(&hall.server_url),
                store: Arc::clone(&store),
                partitioned: false,
            });
        }
        // The relay must know the terminals before it can serve them.
        relay
            .sync_upstream()
            .await
            .expect("relay learns the hall's terminals");
        World {
            hall,
            relay,
            nodes,
            upstream_cut: false,
            made: BTreeMap::new(),
            issued: 0,
        }
    }

    fn record_heads(&mut self, t: usize, id: &str) {
        let mut doc = self.nodes[t].store.load_doc(id).unwrap().unwrap();
        self.made
            .entry(id.to_string())
            .or_default()
            .extend(doc.get_heads());
    }

    async fn apply(&mut self, op: &Op) {
        match *op {
            Op::Create(t) => {
                self.issued += 1;
                let ticket = Ticket::issue(
                    HALL,
                    "A",
                    self.issued,
                    &format!("t{t}"),
                    time::OffsetDateTime::now_utc(),
                );
                let header = self.nodes[t]
                    .store
                    .create(&hall_scope(HALL), &ticket, Durability::Normal)
                    .unwrap();
                self.record_heads(t, &header.id);
            }
            Op::Edit(t, n) => {
                let known = self.nodes[t].store.list::<Ticket>().unwrap();
                if known.is_empty() {
                    return;
                }
                let id = known[n % known.len()].0.header.id.clone();
                self.nodes[t]
                    .store
                    .update::<Ticket>(&id, Durability::Normal, |ticket| {
                        ticket.printed = !ticket.printed;
                        // Each node calls the ticket as its own window: concurrent claims merge.
                        ticket.add_claim(
                            t as u32 + 1,
                            &format!("t{t}"),
                            "s",
                            time::OffsetDateTime::now_utc()
                                + time::Duration::milliseconds(n as i64),
                        );
                    })
                    .unwrap();
                self.record_heads(t, &id);
            }
            Op::Sync(t, via_relay) => {
                let node = &self.nodes[t];
                if node.partitioned {
                    return;
                }
                let client = if via_relay {
                    &node.via_relay
                } else {
                    &node.via_central
                };
                // A failing pass is fine here (that is what partitions cause); convergence is checked at the end.
                let _ = client.sync_once().await;
            }
            Op::Upstream => {
                if !self.upstream_cut {
                    let _ = self.relay.sync_upstream().await;
                }
            }
            Op::TogglePartition(t) => self.nodes[t].partitioned = !self.nodes[t].partitioned,
            Op::ToggleUpstream => self.upstream_cut = !self.upstream_cut,
        }
    }

    /// Heal everything and sync until quiet: each terminal through the relay, the relay upstream, each
    /// terminal with the central server.
    async fn heal(&mut self) {
        for node in &mut self.nodes {
            node.partitioned = false;
        }
        self.upstream_cut = false;
        for _ in 0..3 {
            for node in &self.nodes {
                node.via_relay.sync_once().await.expect("sync via relay");
            }
            self.relay.sync_upstream().await.expect("relay upstream");
            for node in &self.nodes {
                node.via_central
                    .sync_once()
                    .await
                    .expect("sync with central");
            }
            self.relay.sync_upstream().await.expect("relay upstream");
        }
    }

    /// Every node's copy of every document: `(node name, doc id) → heads`, and all documents by node.
    async fn snapshot(&self) -> BTreeMap<String, BTreeMap<String, AutoCommit>> {
        let mut out = BTreeMap::new();
        let ids: BTreeSet<String> = self.made.keys().cloned().collect();
        for (i, node) in self.nodes.iter().enumerate() {
            let mut docs = BTreeMap::new();
            for (rec, _) in node.store.list::<Ticket>().unwrap() {
                docs.insert(
                    rec.header.id.clone(),
                    node.store.load_doc(&rec.header.id).unwrap().unwrap(),
                );
            }
            out.insert(format!("terminal t{i}"), docs);
        }
        for (name, storage) in [
            ("central", &self.hall.storage),
            ("relay", &self.relay.storage),
        ] {
            let mut docs = BTreeMap::new();
            for id in &ids {
                if let Some(stored) = storage.load_doc(id).await.unwrap() {
                    docs.insert(id.clone(), AutoCommit::load(&stored.bytes).unwrap());
                }
            }
            out.insert(name.to_string(), docs);
        }
        out
    }
}

async fn run_schedule(ops: Vec<Op>) {
    let mut world = World::new().await;
    for op in &ops {
        world.apply(op).await;
    }
    world.heal().await;

    let snapshot = world.snapshot().await;
    let expected_ids: BTreeSet<&String> = world.made.keys().collect();
    let reference = &snapshot["central"];
    for (node, docs) in &snapshot {
        let ids: BTreeSet<&String> = docs.keys().collect();
        assert_eq!(
            ids, expected_ids,
            "{node} holds other documents than were made"
        );
        for (id, doc) in docs {
            let (mut doc, mut reference_doc) = (doc.clone(), reference[id].clone());
            let mut heads = doc.get_heads();
            heads.sort();
            let mut reference_heads = reference_doc.get_heads();
            reference_heads.sort();
            assert_eq!(
                heads, reference_heads,
                "{node} differs from central on {id}"
            );
            for change in &world.made[id] {
                assert!(
                    doc.get_change_by_hash(change).is_some(),
                    "{node} lost change {change} of {id}"
                );
            }
            assert_eq!(
                doc.get_changes(&[]).len(),
                reference_doc.get_changes(&[]).len(),
                "{node} has a different history of {id}"
            );
        }
    }
    // And every terminal reads the same ticket values.
    let values: Vec<BTreeMap<String, Ticket>> = world
        .nodes
        .iter()
        .map(|n| {
            n.store
                .list::<Ticket>()
                .unwrap()
                .into_iter()
                .map(|(r, _)| (r.header.id, r.body))
                .collect()
        })
        .collect();
    assert!(
        values.windows(2).all(|w| w[0] == w[1]),
        "terminals read different values"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn every_node_converges_after_random_partitions(ops in prop::collection::vec(op(), 10..60)) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(run_schedule(ops));
    }
}
