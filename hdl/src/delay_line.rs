//! A fixed delay for one schedule word, in block RAM or LUT RAM.

use crate::word::Word;
use rust_hdl::prelude::*;

/// The delay of the lines that skip window words 2 to 8 in long rings (see
/// [`crate::round`]): enabled clock edges from the one that writes a word
/// on `d` (the first) to the one that puts it on `q` (the last).
pub const LINE_DELAY: usize = 7;

/// The delay of the lines that skip window words 10 to 13 in long rings
/// (see [`crate::round`]): the word comes from a stage six places back, and
/// has already spent one edge in that stage's `w15` register.
pub const LINE9_DELAY: usize = 5;

/// The longest delay a line supports.
pub const MAX_DELAY: usize = 16;

/// A word delayed by a fixed number `D` of enabled clock edges: the edge
/// that writes `d` is the first, and edge `D` puts it on `q`.
///
/// It is a circular buffer of `D` words with one write pointer; each
/// enabled edge writes `d` at the pointer and reads the slot after it, the
/// oldest, into `q`. The read and write addresses always differ, so the
/// buffer maps onto a plain block RAM (one ECP5 DP16KD or two iCE40
/// SB_RAM40_4K) with no bypass logic, where a shift register would take
/// `32·D` flip-flops; or, built with [`DelayLine::in_luts`], onto LUT RAM
/// (eight ECP5 `TRELLIS_DPR16X4`), for when there are more lines than
/// block RAMs. When `enable` is low nothing changes.
#[derive(LogicBlock)]
pub struct DelayLine {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Low to hold the buffer, its pointer and `q`.
    pub enable: Signal<In, Bit>,
    /// The word going in.
    pub d: Signal<In, Word>,
    /// The word that went in `D` enabled edges ago.
    pub q: Signal<Out, Word>,
    _mem: Vec<u32>,
    _ptr: usize,
    _in_luts: bool,
}

impl DelayLine {
    /// A line of `delay` enabled edges, 2 to [`MAX_DELAY`].
    pub fn new(delay: usize) -> Self {
        assert!(
            (2..=MAX_DELAY).contains(&delay),
            "delay {delay} out of range"
        );
        Self {
            clock: Default::default(),
            enable: Default::default(),
            d: Default::default(),
            q: Default::default(),
            _mem: vec![0; delay],
            _ptr: 0,
            _in_luts: false,
        }
    }

    /// A line of `delay` enabled edges in LUT RAM rather than block RAM.
    pub fn in_luts(delay: usize) -> Self {
        Self {
            _in_luts: true,
            ..Self::new(delay)
        }
    }

    /// The delay in enabled edges.
    pub fn delay(&self) -> usize {
        self._mem.len()
    }
}

impl Default for DelayLine {
    fn default() -> Self {
        Self::new(LINE_DELAY)
    }
}

impl Logic for DelayLine {
    fn update(&mut self) {
        // rust-hdl reports a clock edge to exactly one update pass.
        if self.clock.pos_edge() && self.enable.val() {
            let next = (self._ptr + 1) % self.delay();
            self._mem[self._ptr] = self.d.val().0;
            self.q.next = Word(self._mem[next]);
            self._ptr = next;
        }
    }

    fn connect(&mut self) {
        self.q.connect();
    }

    fn hdl(&self) -> Verilog {
        let last = self.delay() - 1;
        let style = if self._in_luts {
            "distributed"
        } else {
            "block"
        };
        Verilog::Custom(format!(
            "(* ram_style = \"{style}\" *) reg [31:0] mem [0:{last}];\n\
             reg [3:0] ptr = 4'd0;\n\
             wire [3:0] nxt = (ptr == 4'd{last}) ? 4'd0 : (ptr + 4'd1);\n\
             always @(posedge clock) if (enable) begin\n    \
             mem[ptr] <= d;\n    \
             q <= mem[nxt];\n    \
             ptr <= nxt;\n\
             end\n"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{tick, w};

    fn clock(line: &mut DelayLine) {
        tick(line, |b| &mut b.clock);
    }

    /// The word written at enabled edge `n` is on `q` right after enabled
    /// edge `n + D - 1`, and disabled edges do not count.
    #[test]
    fn delays_by_d_enabled_edges() {
        for delay in [2, 6, 7, 8, 14, MAX_DELAY] {
            let mut line = DelayLine::new(delay);
            line.connect_all();
            let mut written = vec![];
            for n in 0..60u32 {
                // Every third edge is stalled, with a decoy on `d`.
                let enabled = n % 3 != 2;
                line.enable.next = enabled;
                let value = 0x1000 + n;
                line.d.next = w(if enabled { value } else { 0xdead });
                clock(&mut line);
                if enabled {
                    written.push(value);
                    if written.len() >= delay {
                        let want = written[written.len() - delay];
                        assert_eq!(line.q.val().0, want, "delay {delay}, edge {n}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_verilog_is_a_block_ram_of_d_words() {
        for delay in [6, 8, 14] {
            let text = match DelayLine::new(delay).hdl() {
                Verilog::Custom(t) => t,
                _ => unreachable!("DelayLine writes its own Verilog"),
            };
            assert!(text.contains("ram_style = \"block\""));
            assert!(text.contains(&format!("[0:{}]", delay - 1)));
            assert!(text.contains(&format!("ptr == 4'd{}", delay - 1)));
            let text = match DelayLine::in_luts(delay).hdl() {
                Verilog::Custom(t) => t,
                _ => unreachable!("DelayLine writes its own Verilog"),
            };
            assert!(text.contains("ram_style = \"distributed\""));
        }
    }
}
