// Writes the Verilog of one round stage: `genstage FIRST ROUNDS`.
fn main() {
    let a: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().unwrap())
        .collect();
    let mut s = ferrominer_hdl::round::RoundStage::new(a[0], a[1]);
    print!("{}", ferrominer_hdl::verilog::to_verilog(&mut s, "stage"));
}
