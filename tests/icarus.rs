//! The board in Icarus-compatible mode, at its byte interface in rust-hdl's
//! simulator, driven the way cgminer's Icarus driver drives it.

use ferrominer::BlockHeader;
use ferrominer_hdl::board::Protocol;
use ferrominer_hdl::protocol::EngineConfig;
use ferrominer_hdl::round::T1Adder;
use ferrominer_sim::board_sim::BoardSim;
use ferrominer_tests::*;

fn board(first_nonce: u32, cores: usize) -> BoardSim {
    let cfg = EngineConfig {
        unroll: 8,
        cores,
        clock_hz: 48_000_000,
        timeout_cycles: 3_000,
        resend_cycles: 6_000,
        icarus_first_nonce: first_nonce,
        t1: T1Adder::Plain,
    };
    BoardSim::with_protocol(cfg, Protocol::Icarus, 2).unwrap()
}

/// Run until `n` bytes came back or `cycles` passed.
fn answer(b: &mut BoardSim, cycles: u64, n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..cycles {
        b.step().unwrap();
        out.extend(b.take_output());
        if out.len() >= n {
            break;
        }
    }
    out
}

/// cgminer's golden work, as `icarus_detect_one` sends it: the stored
/// midstate and the work bytes, each reversed byte for byte. cgminer
/// expects the answer 0x000187a2.
#[test]
fn cgminer_golden_nonce() {
    let ob = hex::decode(concat!(
        "4679ba4ec99876bf4bfe086082b400254df6c356451471139a3afa71e48f544a",
        "00000000000000000000000000000000",
        "aa1ff05587320b1a1426674f2fa722ce"
    ))
    .unwrap();
    let mut sent = ob.clone();
    sent[..32].reverse();
    sent[52..].reverse();
    let mut b = board(0x0001_8700, 1);
    b.send(&sent);
    assert_eq!(answer(&mut b, 100_000, 4), vec![0x00, 0x01, 0x87, 0xa2]);
}

/// A real block's work gives that block's nonce, as the 4 bytes of the
/// header.
#[test]
fn real_blocks_give_their_nonce() {
    for b in real_blocks() {
        let h: BlockHeader = b.header.parse().unwrap();
        let nonce_bytes = h.as_bytes()[76..80].to_vec();
        let count = u32::from_be_bytes(nonce_bytes.clone().try_into().unwrap());
        // Count from a little below it (cgminer's boards count from 0).
        let mut board = board(count.saturating_sub(60), 1);
        board.send(&ferrominer::protocol::icarus_work(&h));
        let got = answer(&mut board, 200_000, 4);
        if h.block_hash().top_word() == 0 {
            assert_eq!(got, nonce_bytes, "{}", b.name);
        } else {
            // regtest's block does not meet difficulty 1, the only share an
            // Icarus board reports; nothing near it does either.
            assert!(got.is_empty(), "{}: {got:02x?}", b.name);
        }
    }
}

/// New work interrupts the old at once: only the new work's nonce comes
/// back, and the board then stops (no second answer).
#[test]
fn new_work_interrupts() {
    let blocks = real_blocks();
    let genesis: BlockHeader = blocks[0].header.parse().unwrap();
    let block1: BlockHeader = blocks[1].header.parse().unwrap();
    let c1 = u32::from_be_bytes(block1.as_bytes()[76..80].try_into().unwrap());
    // The board counts from just below block 1's nonce; genesis' work is
    // interrupted long before it could find anything there.
    let mut b = board(c1.wrapping_sub(200), 1);
    b.send(&ferrominer::protocol::icarus_work(&genesis));
    assert!(answer(&mut b, 300, 4).is_empty());
    b.send(&ferrominer::protocol::icarus_work(&block1));
    assert_eq!(
        answer(&mut b, 200_000, 4),
        block1.as_bytes()[76..80].to_vec()
    );
    assert!(answer(&mut b, 20_000, 1).is_empty(), "stops after a nonce");
}
