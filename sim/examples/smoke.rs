use ferrominer_sim::{CoreSim, Job};
use sha2::{Digest, Sha256};

fn main() {
    let hdr = hex::decode("0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c").unwrap();
    let mut st = [
        0x6a09e667u32,
        0xbb67ae85,
        0x3c6ef372,
        0xa54ff53a,
        0x510e527f,
        0x9b05688c,
        0x1f83d9ab,
        0x5be0cd19,
    ];
    let block: [u8; 64] = hdr[..64].try_into().unwrap();
    sha2::compress256(&mut st, &[block.into()]);
    let tail =
        [0, 1, 2].map(|i| u32::from_be_bytes(hdr[64 + 4 * i..68 + 4 * i].try_into().unwrap()));
    let unroll: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(64);
    let count: u32 = std::env::args()
        .nth(2)
        .map(|s| s.parse().unwrap())
        .unwrap_or(300);
    let nonce = 2083236893u32;
    let job = Job {
        midstate: st,
        tail,
        nonce_start: nonce - count / 2,
        nonce_end: nonce + count / 2,
        threshold: std::env::args()
            .nth(3)
            .map(|s| u32::from_str_radix(&s, 16).unwrap())
            .unwrap_or(0x7fff_ffff),
        tag: 5,
    };
    let mut sim = CoreSim::new(unroll).unwrap();
    let (found, stats) = sim.run(&job).unwrap();
    let mut expect = vec![];
    for n in job.nonce_start..=job.nonce_end {
        let mut h = hdr.clone();
        h[76..80].copy_from_slice(&n.to_le_bytes());
        let d = Sha256::digest(Sha256::digest(&h));
        let top = u32::from_le_bytes(d[28..32].try_into().unwrap());
        if top <= job.threshold {
            expect.push(n);
        }
    }
    let got: Vec<u32> = found.iter().map(|f| f.nonce).collect();
    println!("U={unroll} found {} expected {} equal={} cycles={} secs={:.3} cyc/s={:.0} passes/cycle={:.2}", got.len(), expect.len(), got == expect, stats.cycles, stats.seconds, stats.cycles as f64 / stats.seconds, sim.passes_per_cycle());
    if got != expect {
        println!(
            "got {:?}\nexp {:?}",
            &got[..got.len().min(10)],
            &expect[..expect.len().min(10)]
        );
    }
}
