//! Writes the Verilog of one round stage, for looking at its synthesis on
//! its own: `cargo run --example stage_verilog -- INDEX STRIDE PASSES`.
fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().expect("three numbers: INDEX STRIDE PASSES"))
        .collect();
    let [index, stride, passes] = args[..] else {
        eprintln!("usage: stage_verilog INDEX STRIDE PASSES");
        std::process::exit(2);
    };
    let mut s = ferrominer_hdl::round::RoundStage::new(index, stride, passes);
    print!("{}", ferrominer_hdl::verilog::to_verilog(&mut s, "stage"));
}
