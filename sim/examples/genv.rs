fn main() {
    let u: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let mut core = ferrominer_hdl::MinerCore::new(u).unwrap();
    print!(
        "{}",
        ferrominer_hdl::verilog::to_verilog(&mut core, "miner_core")
    );
}
