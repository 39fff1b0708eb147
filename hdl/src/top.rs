//! The FPGA top level: one source for every board, which differs only by
//! this descriptor (and by its pin file).

use crate::board::{BoardError, BoardLogic, Protocol};
use crate::fused_add::ECP5_CARRY_DEFINE;
use crate::global_buffer::ECP5_GLOBALS_DEFINE;
use crate::pll::{ClockGen, Family, Pll, PllError};
use crate::protocol::EngineConfig;
use crate::round::T1Adder;
use crate::verilog::to_verilog;
use rust_hdl::prelude::*;

/// Name of the top module, which the pin files refer to.
pub const TOP_MODULE: &str = "ferrominer_top";

/// What the gateware needs to know about a board and a build.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopConfig {
    /// FPGA family (picks the PLL primitive).
    pub family: Family,
    /// Oscillator frequency in Hz.
    pub osc_hz: u32,
    /// Requested hash clock in MHz; `None` runs on the oscillator.
    pub hash_mhz: Option<f64>,
    /// Round stages per transform.
    pub unroll: usize,
    /// Number of cores.
    pub cores: usize,
    /// UART baud rate.
    pub baud: u64,
    /// The board's LEDs light on a low output.
    pub led_active_low: bool,
    /// The protocol the board speaks.
    pub protocol: Protocol,
    /// iCE40: the oscillator pin is the PLL's pad (`SB_PLL40_PAD`).
    pub pll_from_pad: bool,
    /// How the rounds add `T1`: pick [`T1Adder::CarrySave`] when synthesis
    /// maps every addition to its own carry chain.
    pub t1: T1Adder,
}

/// Why a top level cannot be generated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TopError {
    /// No PLL setting reaches the hash clock.
    #[error(transparent)]
    Pll(#[from] PllError),
    /// The board logic cannot be built (unroll, cores, baud rate).
    #[error("{0}")]
    Board(BoardError),
}

/// The generated top level.
#[derive(Debug, Clone)]
pub struct TopVerilog {
    /// The Verilog, top module [`TOP_MODULE`].
    pub verilog: String,
    /// The hash clock the PLL gives, in Hz.
    pub hash_hz: f64,
    /// The PLL, if one is used.
    pub pll: Option<Pll>,
}

/// The top level: ports `clk_in`, `uart_rx`, `uart_tx`, `led[1:0]`.
///
/// `led[0]` lights while the cores hash; `led[1]` lights after a UART byte
/// with a framing error (wrong baud rate or wiring) until a good byte.
#[derive(LogicBlock)]
pub struct BoardTop {
    /// The board's oscillator.
    pub clk_in: Signal<In, Clock>,
    /// UART from the host.
    pub uart_rx: Signal<In, Bit>,
    /// UART to the host.
    pub uart_tx: Signal<Out, Bit>,
    /// Status LEDs.
    pub led: Signal<Out, Bits<2>>,
    clockgen: ClockGen,
    inner: BoardLogic,
    led_none: Constant<Bits<2>>,
    led_busy: Constant<Bits<2>>,
    led_error: Constant<Bits<2>>,
    led_both: Constant<Bits<2>>,
}

impl BoardTop {
    fn new(pll: Option<Pll>, from_pad: bool, logic: BoardLogic, active_low: bool) -> Self {
        let pattern = |on: u64| -> Constant<Bits<2>> {
            Constant::new((if active_low { on ^ 3 } else { on }).into())
        };
        Self {
            clk_in: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            led: Default::default(),
            clockgen: ClockGen::new(pll, from_pad),
            inner: logic,
            led_none: pattern(0),
            led_busy: pattern(1),
            led_error: pattern(2),
            led_both: pattern(3),
        }
    }
}

impl Logic for BoardTop {
    #[hdl_gen]
    fn update(&mut self) {
        self.clockgen.clock_in.next = self.clk_in.val();
        self.inner.clock.next = self.clockgen.clock_out.val();
        self.inner.rx.next = self.uart_rx.val();
        self.uart_tx.next = self.inner.tx.val();
        if self.inner.led_busy.val() & self.inner.led_error.val() {
            self.led.next = self.led_both.val();
        } else if self.inner.led_busy.val() {
            self.led.next = self.led_busy.val();
        } else if self.inner.led_error.val() {
            self.led.next = self.led_error.val();
        } else {
            self.led.next = self.led_none.val();
        }
    }
}

/// Generate the Verilog of the top level for `cfg`.
pub fn board_top_verilog(cfg: &TopConfig) -> Result<TopVerilog, TopError> {
    let osc_mhz = f64::from(cfg.osc_hz) / 1e6;
    let pll = match cfg.hash_mhz {
        Some(mhz) if (mhz - osc_mhz).abs() > 1e-9 => Some(Pll::find(cfg.family, osc_mhz, mhz)?),
        _ => None,
    };
    let hash_hz = pll.map_or(f64::from(cfg.osc_hz), |p| p.out_hz);
    let engine = EngineConfig {
        t1: cfg.t1,
        ..EngineConfig::new(cfg.unroll, cfg.cores, hash_hz.round() as u32)
    };
    let logic =
        BoardLogic::with_protocol(engine, cfg.baud, cfg.protocol).map_err(TopError::Board)?;
    let mut top = BoardTop::new(pll, cfg.pll_from_pad, logic, cfg.led_active_low);
    let mut verilog = to_verilog(&mut top, TOP_MODULE);
    if cfg.family == Family::Ecp5 {
        verilog = format!("`define {ECP5_GLOBALS_DEFINE}\n`define {ECP5_CARRY_DEFINE}\n{verilog}");
    }
    Ok(TopVerilog {
        verilog,
        hash_hz,
        pll,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(family: Family) -> TopConfig {
        TopConfig {
            family,
            osc_hz: 25_000_000,
            hash_mhz: None,
            unroll: 1,
            cores: 2,
            baud: 115_200,
            led_active_low: false,
            protocol: Protocol::Native,
            pll_from_pad: false,
            t1: T1Adder::CarrySave,
        }
    }

    /// The Verilog of the test ECP5 top whose rounds add `T1` as `t1` says.
    fn ecp5_top(t1: T1Adder) -> String {
        let cfg = TopConfig {
            t1,
            ..config(Family::Ecp5)
        };
        board_top_verilog(&cfg).unwrap().verilog
    }

    /// ECP5 builds put each core's enable on a DCCA and may use carry
    /// cells directly; iCE40 builds keep the plain wire and adders.
    #[test]
    fn only_ecp5_tops_ask_for_global_enables_and_carry_cells() {
        let define = format!("`define {ECP5_GLOBALS_DEFINE}\n`define {ECP5_CARRY_DEFINE}\n");
        let ecp5 = board_top_verilog(&config(Family::Ecp5)).unwrap().verilog;
        assert!(ecp5.starts_with(&define));
        assert_eq!(ecp5.matches("DCCA gb").count(), 2, "one per core");
        let ice40 = board_top_verilog(&config(Family::Ice40)).unwrap().verilog;
        assert!(!ice40.contains("`define"));
    }

    /// With fused adders, two chains of carry cells per round stage (U = 1,
    /// two transforms, two cores: eight), none otherwise.
    #[test]
    fn carry_cells_only_with_fused_adders() {
        let chains = |t1| ecp5_top(t1).matches("CCU2C #(").count();
        assert_eq!(chains(T1Adder::Fused), 8);
        assert_eq!(chains(T1Adder::CarrySave), 0);
    }

    /// The `T1` compressor is in the Verilog only when asked for: one per
    /// round stage (U = 1: one stage per transform, two transforms, two
    /// cores).
    #[test]
    fn t1_compressor_only_when_asked() {
        let instances = |t1| ecp5_top(t1).matches("$t1_parts$0 t1_parts$0(").count();
        assert_eq!(instances(T1Adder::CarrySave), 4);
        assert_eq!(instances(T1Adder::Plain), 0);
    }
}
