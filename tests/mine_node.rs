//! Solo mining: the whole miner (node source, driver, the board's real
//! gateware in simulation) against a strict fake node that validates every
//! submitted block on its own (`tests/node`).

use ferrominer::gbt::{GbtError, RpcAuth, RpcUrl};
use ferrominer::miner::{
    FoundShare, Miner, MinerObserver, MinerStats, NodeConfig, NodeSource, SourceEvent, StopAfter,
};
use ferrominer::transport::Transport;
use ferrominer_tests::node::{FakeNode, NodeConfig as FakeConfig};
use ferrominer_tests::sim_board;
use std::time::Duration;

fn board() -> Box<dyn Transport> {
    Box::new(sim_board(8, 1))
}

/// A node whose blocks take about 256 hashes each.
fn fake(segwit: bool) -> FakeNode {
    FakeNode::start(FakeConfig {
        bits: 0x2000_ffff,
        segwit,
        seed: Some(11),
        ..FakeConfig::default()
    })
}

fn config(node: &FakeNode, pass: &str, address: &str) -> NodeConfig {
    let auth = RpcAuth::UserPass {
        user: "alice".into(),
        pass: pass.into(),
    };
    let mut cfg = NodeConfig::new(RpcUrl::parse(&node.url()).unwrap(), auth, address);
    cfg.poll = Duration::from_millis(100);
    cfg
}

/// What the miner reported: blocks found (and whether each was
/// submitted), and blocks it said it did not submit.
#[derive(Default)]
struct Log {
    found: Vec<FoundShare>,
    dropped: Vec<String>,
}

impl MinerObserver for Log {
    fn share_found(&mut self, f: &FoundShare) {
        self.found.push(f.clone());
    }
    fn source_event(&mut self, ev: &SourceEvent) {
        if let SourceEvent::ShareDropped(why) = ev {
            self.dropped.push(why.clone());
        }
    }
}

/// Mine for `node` until `blocks` blocks were found or `secs` passed,
/// running `during` beside.
fn mine(
    node: &FakeNode,
    blocks: u64,
    secs: u64,
    during: impl FnOnce() + Send + 'static,
) -> (MinerStats, Log) {
    let cfg = config(node, "s3cret", &FakeConfig::default().address);
    let mut source = NodeSource::connect(cfg).unwrap();
    let mut log = Log::default();
    let mut miner = Miner::new(vec![board()], &mut log).unwrap();
    let side = std::thread::spawn(during);
    let stats = miner.run(
        &mut source,
        &mut log,
        StopAfter {
            duration: Some(Duration::from_secs(secs)),
            shares: Some(blocks),
        },
    );
    // Dropping the source waits for blocks still being submitted.
    drop(source);
    side.join().unwrap();
    (stats, log)
}

#[test]
fn found_blocks_are_accepted_by_a_strict_node() {
    let node = fake(true);
    let (stats, log) = mine(&node, 3, 60, || {});
    assert!(stats.blocks >= 3, "{stats:?}");
    assert_eq!(stats.hardware_errors, 0);
    assert!(node.rejected().is_empty(), "{:?}", node.rejected());
    // Every block found was either submitted and accepted, or said to be
    // a second one at a height already solved (found by the board before
    // it got the restart).
    let submitted = log.found.iter().filter(|f| f.submitted).count();
    let accepted = node.accepted();
    assert_eq!(accepted.len(), submitted, "{stats:?}");
    assert_eq!(
        submitted + log.dropped.len(),
        log.found.len(),
        "{:?}",
        log.dropped
    );
    assert_eq!(log.found.len() as u64, stats.blocks);
    assert!(submitted >= 1);
    // Each block builds on the one before: heights 101, 102, 103...
    let heights: Vec<u64> = accepted.iter().map(|b| b.height).collect();
    assert_eq!(heights, (101..101 + submitted as u64).collect::<Vec<_>>());
    for b in &accepted {
        assert!(
            b.tx_count > 1,
            "the template's transactions are in the block"
        );
        assert!(
            b.coinbase_script_sig
                .windows(12)
                .any(|w| w == b"/ferrominer/"),
            "the coinbase carries the tag"
        );
    }
}

#[test]
fn legacy_templates_without_segwit_work_too() {
    let node = fake(false);
    let (stats, log) = mine(&node, 1, 60, || {});
    assert!(stats.blocks >= 1, "{stats:?}");
    assert!(node.rejected().is_empty(), "{:?}", node.rejected());
    let submitted = log.found.iter().filter(|f| f.submitted).count();
    assert!(submitted >= 1);
    assert_eq!(node.accepted().len(), submitted);
}

#[test]
fn a_new_tip_from_elsewhere_moves_the_boards_on() {
    // A node whose blocks are rare enough that the boards are still
    // mining when another miner's block arrives.
    let node = FakeNode::start(FakeConfig {
        bits: 0x1f00_ffff,
        seed: Some(12),
        ..FakeConfig::default()
    });
    let handle = node.handle();
    let first_height = node.height();
    mine(&node, u64::MAX, 5, move || {
        std::thread::sleep(Duration::from_secs(2));
        handle.new_tip();
    });
    // The source fetched a template for the new tip (one at the start,
    // one after it), and nothing stale was ever submitted.
    assert!(node.height() > first_height);
    assert!(node.template_count() >= 2, "{}", node.template_count());
    assert!(node.rejected().is_empty(), "{:?}", node.rejected());
}

#[test]
fn bad_credentials_address_and_port_are_clear_errors() {
    let node = fake(true);
    let address = FakeConfig::default().address;
    let e = NodeSource::connect(config(&node, "wrong", &address))
        .err()
        .unwrap();
    assert!(matches!(e, GbtError::Unauthorized { .. }), "{e}");
    assert!(e.to_string().contains("--rpc-user"), "{e}");
    let e = NodeSource::connect(config(
        &node,
        "s3cret",
        "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
    ))
    .err()
    .unwrap();
    assert!(matches!(e, GbtError::BadAddress { .. }), "{e}");
    assert!(
        e.to_string().contains("1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
        "{e}"
    );
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let auth = RpcAuth::UserPass {
        user: "a".into(),
        pass: "b".into(),
    };
    let url = RpcUrl::parse(&format!("http://{closed}")).unwrap();
    let e = NodeSource::connect(NodeConfig::new(url, auth, address))
        .err()
        .unwrap();
    assert!(matches!(e, GbtError::Io { .. }), "{e}");
}
