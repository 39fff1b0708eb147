use ferrominer_hdl::pll::Family;
use ferrominer_hdl::top::{board_top_verilog, TopConfig};
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let cfg = TopConfig {
        family: if a[1] == "ice40" {
            Family::Ice40
        } else {
            Family::Ecp5
        },
        osc_hz: a[2].parse().unwrap(),
        hash_mhz: a.get(3).map(|s| s.parse().unwrap()),
        unroll: 1,
        cores: 1,
        baud: 115200,
        led_active_low: true,
        protocol: Default::default(),
        pll_from_pad: false,
    };
    let t = board_top_verilog(&cfg).unwrap();
    eprintln!("hash {} Hz", t.hash_hz);
    print!("{}", t.verilog);
}
