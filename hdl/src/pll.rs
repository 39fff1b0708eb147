//! PLLs that raise a board's oscillator to the hash clock.
//!
//! The parameter searches follow the open tools' calculators: `icepll`
//! (IceStorm) for the iCE40 `SB_PLL40_CORE`, and `ecppll` (Project Trellis)
//! for the ECP5 `EHXPLLL`, with the same frequency limits and tie-breaks.

use rust_hdl::prelude::*;

/// FPGA family, which decides the PLL primitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Lattice iCE40 (`SB_PLL40_CORE`).
    Ice40,
    /// Lattice ECP5 (`EHXPLLL`).
    Ecp5,
}

/// A PLL setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PllParams {
    /// iCE40, SIMPLE feedback: `f_out = f_in (DIVF+1) / ((DIVR+1) 2^DIVQ)`.
    Ice40 {
        /// Reference divider, 0..=15.
        divr: u8,
        /// Feedback divider, 0..=127.
        divf: u8,
        /// Output divider exponent, 1..=6.
        divq: u8,
        /// Loop filter range, from the PFD frequency.
        filter_range: u8,
    },
    /// ECP5, feedback from CLKOP: `f_out = f_in / CLKI_DIV × CLKFB_DIV`.
    Ecp5 {
        /// Input divider, 1..=128.
        clki_div: u8,
        /// Feedback divider, 1..=80.
        clkfb_div: u8,
        /// Output divider, 1..=128 (sets the VCO frequency).
        clkop_div: u8,
        /// Output phase in VCO cycles (half an output period).
        clkop_cphase: u8,
    },
}

/// A PLL that was found, and the frequency it gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pll {
    /// The setting.
    pub params: PllParams,
    /// Input frequency in Hz.
    pub in_hz: f64,
    /// Output frequency achieved, in Hz.
    pub out_hz: f64,
    /// VCO frequency in Hz.
    pub vco_hz: f64,
}

/// No PLL setting reaches the requested frequency.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("no {family:?} PLL setting turns {in_mhz} MHz into {out_mhz} MHz (the output must be within {min_mhz}..={max_mhz} MHz)")]
pub struct PllError {
    /// Family.
    pub family: Family,
    /// Input in MHz.
    pub in_mhz: f64,
    /// Requested output in MHz.
    pub out_mhz: f64,
    /// Lowest possible output in MHz.
    pub min_mhz: f64,
    /// Highest possible output in MHz.
    pub max_mhz: f64,
}

impl Pll {
    /// The setting closest to `out_mhz` from an `in_mhz` oscillator.
    pub fn find(family: Family, in_mhz: f64, out_mhz: f64) -> Result<Pll, PllError> {
        match family {
            Family::Ice40 => Self::find_ice40(in_mhz, out_mhz),
            Family::Ecp5 => Self::find_ecp5(in_mhz, out_mhz),
        }
    }

    fn find_ice40(fin: f64, fout_req: f64) -> Result<Pll, PllError> {
        let err = PllError {
            family: Family::Ice40,
            in_mhz: fin,
            out_mhz: fout_req,
            min_mhz: 16.0,
            max_mhz: 275.0,
        };
        if !(10.0..=133.0).contains(&fin) || !(16.0..=275.0).contains(&fout_req) {
            return Err(err);
        }
        let mut best: Option<(f64, u8, u8, u8)> = None;
        for divr in 0..=15u8 {
            let pfd = fin / f64::from(divr + 1);
            if !(10.0..=133.0).contains(&pfd) {
                continue;
            }
            for divf in 0..=127u8 {
                let vco = pfd * f64::from(divf + 1);
                if !(533.0..=1066.0).contains(&vco) {
                    continue;
                }
                for divq in 1..=6u8 {
                    let fout = vco / f64::from(1u32 << divq);
                    let better = match best {
                        None => true,
                        Some((b, ..)) => (fout - fout_req).abs() < (b - fout_req).abs(),
                    };
                    if better {
                        best = Some((fout, divr, divf, divq));
                    }
                }
            }
        }
        let (fout, divr, divf, divq) = best.ok_or(err)?;
        let pfd = fin / f64::from(divr + 1);
        let filter_range = match pfd {
            p if p < 17.0 => 1,
            p if p < 26.0 => 2,
            p if p < 44.0 => 3,
            p if p < 66.0 => 4,
            p if p < 101.0 => 5,
            _ => 6,
        };
        Ok(Pll {
            params: PllParams::Ice40 {
                divr,
                divf,
                divq,
                filter_range,
            },
            in_hz: fin * 1e6,
            out_hz: fout * 1e6,
            vco_hz: pfd * f64::from(divf + 1) * 1e6,
        })
    }

    fn find_ecp5(fin: f64, fout_req: f64) -> Result<Pll, PllError> {
        let err = PllError {
            family: Family::Ecp5,
            in_mhz: fin,
            out_mhz: fout_req,
            min_mhz: 10.0,
            max_mhz: 400.0,
        };
        if !(8.0..=400.0).contains(&fin) || !(10.0..=400.0).contains(&fout_req) {
            return Err(err);
        }
        let mut best: Option<(f64, f64, u8, u8, u8)> = None;
        for clki in 1..=128u8 {
            let pfd = fin / f64::from(clki);
            if !(3.125..=400.0).contains(&pfd) {
                continue;
            }
            for clkfb in 1..=80u8 {
                for clkop in 1..=128u8 {
                    let vco = pfd * f64::from(clkfb) * f64::from(clkop);
                    if !(400.0..=800.0).contains(&vco) {
                        continue;
                    }
                    let fout = vco / f64::from(clkop);
                    let e = (fout - fout_req).abs();
                    let better = match best {
                        None => true,
                        Some((b, bvco, ..)) => {
                            let be = (b - fout_req).abs();
                            e < be || (e == be && (vco - 600.0).abs() < (bvco - 600.0).abs())
                        }
                    };
                    if better {
                        best = Some((fout, vco, clki, clkfb, clkop));
                    }
                }
            }
        }
        let (fout, vco, clki_div, clkfb_div, clkop_div) = best.ok_or(err)?;
        // Half an output period, in VCO cycles (as ecppll and Lattice do).
        let clkop_cphase = (0.5 / fout * vco) as u8;
        Ok(Pll {
            params: PllParams::Ecp5 {
                clki_div,
                clkfb_div,
                clkop_div,
                clkop_cphase,
            },
            in_hz: fin * 1e6,
            out_hz: fout * 1e6,
            vco_hz: vco * 1e6,
        })
    }

    /// The primitive's instantiation, from `clock_in` to the wire `pll_out`.
    /// `from_pad`: on iCE40, use `SB_PLL40_PAD`, whose input is the package
    /// pin itself (for boards whose oscillator pin is the PLL's pad).
    pub fn verilog(&self, from_pad: bool) -> String {
        let (prim, input) = if from_pad {
            ("SB_PLL40_PAD", "PACKAGEPIN")
        } else {
            ("SB_PLL40_CORE", "REFERENCECLK")
        };
        match self.params {
            PllParams::Ice40 {
                divr,
                divf,
                divq,
                filter_range,
            } => format!(
                "{prim} #(\n    .FEEDBACK_PATH(\"SIMPLE\"),\n    .DIVR(4'd{divr}),\n    .DIVF(7'd{divf}),\n    .DIVQ(3'd{divq}),\n    .FILTER_RANGE(3'd{filter_range})\n) pll_i (\n    .{input}(clock_in),\n    .PLLOUTCORE(pll_out),\n    .LOCK(pll_lock),\n    .RESETB(1'b1),\n    .BYPASS(1'b0)\n);\n"
            ),
            PllParams::Ecp5 {
                clki_div,
                clkfb_div,
                clkop_div,
                clkop_cphase,
            } => format!(
                "(* ICP_CURRENT=\"12\" *) (* LPF_RESISTOR=\"8\" *) (* MFG_ENABLE_FILTEROPAMP=\"1\" *) (* MFG_GMCREF_SEL=\"2\" *)\nEHXPLLL #(\n    .PLLRST_ENA(\"DISABLED\"),\n    .INTFB_WAKE(\"DISABLED\"),\n    .STDBY_ENABLE(\"DISABLED\"),\n    .DPHASE_SOURCE(\"DISABLED\"),\n    .OUTDIVIDER_MUXA(\"DIVA\"),\n    .OUTDIVIDER_MUXB(\"DIVB\"),\n    .OUTDIVIDER_MUXC(\"DIVC\"),\n    .OUTDIVIDER_MUXD(\"DIVD\"),\n    .CLKI_DIV({clki_div}),\n    .CLKFB_DIV({clkfb_div}),\n    .CLKOP_ENABLE(\"ENABLED\"),\n    .CLKOP_DIV({clkop_div}),\n    .CLKOP_CPHASE({clkop_cphase}),\n    .CLKOP_FPHASE(0),\n    .FEEDBK_PATH(\"CLKOP\")\n) pll_i (\n    .CLKI(clock_in),\n    .CLKFB(pll_out),\n    .CLKOP(pll_out),\n    .LOCK(pll_lock),\n    .RST(1'b0),\n    .STDBY(1'b0),\n    .PHASESEL0(1'b0),\n    .PHASESEL1(1'b0),\n    .PHASEDIR(1'b1),\n    .PHASESTEP(1'b1),\n    .PHASELOADREG(1'b1),\n    .PLLWAKESYNC(1'b0),\n    .ENCLKOP(1'b0)\n);\n"
            ),
        }
    }
}

/// A clock generator block: the PLL in the Verilog; in rust-hdl's
/// simulation the output clock simply follows the input (the simulated
/// designs run on the hash clock directly).
#[derive(LogicBlock)]
pub struct ClockGen {
    /// The oscillator.
    pub clock_in: Signal<In, Clock>,
    /// The hash clock.
    pub clock_out: Signal<Out, Clock>,
    _pll: Option<Pll>,
    _from_pad: bool,
}

impl ClockGen {
    /// A generator using `pll` (fed from the pad itself if `from_pad`), or
    /// a plain wire for `None`.
    pub fn new(pll: Option<Pll>, from_pad: bool) -> Self {
        Self {
            clock_in: Default::default(),
            clock_out: Default::default(),
            _pll: pll,
            _from_pad: from_pad,
        }
    }
}

impl Logic for ClockGen {
    fn update(&mut self) {
        self.clock_out.next = self.clock_in.val();
    }

    fn connect(&mut self) {
        self.clock_out.connect();
    }

    fn hdl(&self) -> Verilog {
        match &self._pll {
            None => Verilog::Custom("always @(*) clock_out = clock_in;\n".into()),
            Some(p) => Verilog::Custom(format!(
                "wire pll_out;\nwire pll_lock;\n{}always @(*) clock_out = pll_out;\n",
                p.verilog(self._from_pad)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ice(fin: f64, fout: f64) -> (u8, u8, u8, u8, f64) {
        let p = Pll::find(Family::Ice40, fin, fout).unwrap();
        match p.params {
            PllParams::Ice40 {
                divr,
                divf,
                divq,
                filter_range,
            } => (divr, divf, divq, filter_range, p.out_hz / 1e6),
            _ => unreachable!(),
        }
    }

    /// Settings printed by the real `icepll` tool (as quoted in public
    /// projects' generated files).
    #[test]
    fn ice40_matches_icepll() {
        assert_eq!(ice(12.0, 96.0), (0, 63, 3, 1, 96.0));
        assert_eq!(ice(48.0, 60.0), (0, 19, 4, 4, 60.0));
        assert_eq!(ice(48.0, 100.0), (2, 49, 3, 1, 100.0));
        assert_eq!(ice(48.0, 150.0), (1, 24, 2, 2, 150.0));
        assert_eq!(ice(96.0, 16.0), (2, 31, 6, 3, 16.0));
    }

    /// Divider choices of Lattice's tools quoted in ecppll's source.
    #[test]
    fn ecp5_matches_lattice_table() {
        for (fin, fout, clki, fb, op) in [(12.0, 48.0, 1, 4, 12), (12.0, 60.0, 1, 5, 10)] {
            let p = Pll::find(Family::Ecp5, fin, fout).unwrap();
            match p.params {
                PllParams::Ecp5 {
                    clki_div,
                    clkfb_div,
                    clkop_div,
                    ..
                } => assert_eq!((clki_div, clkfb_div, clkop_div), (clki, fb, op)),
                _ => unreachable!(),
            }
            assert_eq!(p.out_hz, fout * 1e6);
        }
    }

    #[test]
    fn impossible_frequencies_are_errors() {
        assert!(Pll::find(Family::Ice40, 12.0, 300.0).is_err());
        assert!(Pll::find(Family::Ecp5, 25.0, 5.0).is_err());
    }
}
