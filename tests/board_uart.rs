//! The whole board design minus its pins and PLL (UART + protocol engine +
//! cores) in rust-hdl's simulator, with every byte going through the UART
//! bit by bit.

use ferrominer::protocol::{Command, ErrorCode, FrameDecoder, Reply, SetWork};
use ferrominer_hdl::protocol::EngineConfig;
use ferrominer_hdl::round::T1Adder;
use ferrominer_sim::board_uart_sim::BoardUartSim;
use ferrominer_tests::*;

/// 16 clocks per bit at 115200 baud keeps the simulation short.
const CLOCK_HZ: u32 = 16 * 115_200;

fn config() -> EngineConfig {
    EngineConfig {
        unroll: 8,
        cores: 1,
        clock_hz: CLOCK_HZ,
        timeout_cycles: 20_000,
        resend_cycles: 60_000,
        icarus_first_nonce: 0,
        t1: T1Adder::Plain,
    }
}

fn board() -> BoardUartSim {
    BoardUartSim::new(config(), 115_200).unwrap()
}

fn run_until(b: &mut BoardUartSim, d: &mut FrameDecoder, cycles: u64, want: usize) -> Vec<Reply> {
    let mut out = Vec::new();
    for _ in 0..cycles {
        b.step().unwrap();
        d.push(&b.take_received());
        while let Some(f) = d.next_frame() {
            out.push(Reply::from_frame(&f.unwrap()).unwrap());
        }
        if out.len() >= want {
            break;
        }
    }
    out
}

#[test]
fn work_in_result_out_acknowledged_over_the_uart() {
    let blk = &real_blocks()[0];
    let work = block_window(blk, 6, 1).with_job_id(77);
    let mut b = board();
    let mut d = FrameDecoder::new();
    b.send(&Command::Identify.to_frame().encode());
    match run_until(&mut b, &mut d, 40_000, 1).as_slice() {
        [Reply::Ident(i)] => assert_eq!((i.unroll, i.cores, i.clock_hz), (8, 1, CLOCK_HZ)),
        r => panic!("{r:?}"),
    }
    let cmd = Command::SetWork(SetWork {
        job_id: 77,
        ..SetWork::from(&work)
    });
    b.send(&cmd.to_frame().encode());
    let r = run_until(&mut b, &mut d, 200_000, 2);
    assert_eq!(
        r,
        vec![
            Reply::WorkAck { job_id: 77 },
            Reply::Result {
                seq: 0,
                job_id: 77,
                nonce: blk.nonce
            }
        ]
    );
    b.send(&Command::AckResult { seq: 0 }.to_frame().encode());
    // No resend after the acknowledgement, and the status is idle.
    assert!(run_until(&mut b, &mut d, 80_000, 1).is_empty());
    b.send(&Command::Status.to_frame().encode());
    match run_until(&mut b, &mut d, 40_000, 1).as_slice() {
        [Reply::Status(s)] => assert!(!s.busy && s.job_id == 77 && s.pending == 0),
        r => panic!("{r:?}"),
    }
    assert_eq!(b.framing_errors(), 0);
}

/// A corrupted frame on the line is rejected with an ERROR frame, and a
/// glitch on the idle line does not confuse the receiver.
#[test]
fn corrupted_frame_and_glitch_over_the_uart() {
    let mut b = board();
    let mut d = FrameDecoder::new();
    let mut bytes = Command::Status.to_frame().encode();
    bytes[4] ^= 0x80;
    b.send(&bytes);
    assert_eq!(
        run_until(&mut b, &mut d, 40_000, 1),
        vec![Reply::Error(ErrorCode::BadCrc)]
    );
    // A 3-cycle low glitch (shorter than half a bit) on the idle line.
    for level in [false, false, false, true] {
        b.step_with_rx(Some(level)).unwrap();
    }
    b.send(&Command::Identify.to_frame().encode());
    let r = run_until(&mut b, &mut d, 40_000, 1);
    assert!(matches!(r.as_slice(), [Reply::Ident(_)]), "{r:?}");
    assert!(!b.leds().1, "no framing error recorded");
}

/// A result the host does not acknowledge comes back, through the UART,
/// with the same sequence number; the acknowledgement stops it.
#[test]
fn unacknowledged_result_is_sent_again_over_the_uart() {
    let blk = &real_blocks()[0];
    let work = block_window(blk, 2, 0).with_job_id(9);
    let mut b = board();
    let mut d = FrameDecoder::new();
    let cmd = Command::SetWork(SetWork {
        job_id: 9,
        ..SetWork::from(&work)
    });
    b.send(&cmd.to_frame().encode());
    let result = Reply::Result {
        seq: 0,
        job_id: 9,
        nonce: blk.nonce,
    };
    assert_eq!(
        run_until(&mut b, &mut d, 200_000, 2),
        vec![Reply::WorkAck { job_id: 9 }, result]
    );
    // No acknowledgement: the resend interval (60,000 cycles) later, again.
    assert_eq!(run_until(&mut b, &mut d, 100_000, 1), vec![result]);
    b.send(&Command::AckResult { seq: 0 }.to_frame().encode());
    assert!(run_until(&mut b, &mut d, 100_000, 1).is_empty());
}

/// Icarus mode through the UART: a real block's 64-byte work, as cgminer
/// sends it, gives back that block's 4 nonce bytes.
#[test]
fn icarus_mode_over_the_uart_gives_the_block_nonce() {
    use ferrominer::BlockHeader;
    use ferrominer_hdl::board::Protocol;
    let blk = &real_blocks()[1];
    let h: BlockHeader = blk.header.parse().unwrap();
    let nonce_bytes = h.as_bytes()[76..80].to_vec();
    let count = u32::from_be_bytes(nonce_bytes.clone().try_into().unwrap());
    let mut cfg = config();
    cfg.icarus_first_nonce = count - 20;
    let mut b = BoardUartSim::with_protocol(cfg, 115_200, Protocol::Icarus).unwrap();
    let work = ferrominer::protocol::icarus_work(&h);
    b.send(&work);
    let mut got = Vec::new();
    for _ in 0..200_000 {
        b.step().unwrap();
        got.extend(b.take_received());
        if got.len() >= 4 {
            break;
        }
    }
    assert_eq!(got, nonce_bytes);
}
