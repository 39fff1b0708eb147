//! A fixed delay for one schedule word, in block RAM.

use crate::word::Word;
use rust_hdl::prelude::*;

/// Enabled clock edges from the one that writes a word on `d` (the first)
/// to the one that puts it on `q` (the last).
pub const LINE_DELAY: usize = 8;

/// A word delayed by [`LINE_DELAY`] enabled clock edges: the edge that
/// writes `d` is the first, and the eighth puts it on `q`.
///
/// It is a circular buffer of eight words with one write pointer; each
/// enabled edge writes `d` at the pointer and reads the slot after it, the
/// oldest, into `q`. The read and write addresses always differ, so the
/// buffer maps onto a plain block RAM (one ECP5 DP16KD or two iCE40
/// SB_RAM40_4K) with no bypass logic, where a shift register would take 256
/// flip-flops. When `enable` is low nothing changes.
#[derive(LogicBlock)]
pub struct DelayLine {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Low to hold the buffer, its pointer and `q`.
    pub enable: Signal<In, Bit>,
    /// The word going in.
    pub d: Signal<In, Word>,
    /// The word that went in [`LINE_DELAY`] enabled edges ago.
    pub q: Signal<Out, Word>,
    _mem: [u32; LINE_DELAY],
    _ptr: usize,
}

impl Default for DelayLine {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            enable: Default::default(),
            d: Default::default(),
            q: Default::default(),
            _mem: [0; LINE_DELAY],
            _ptr: 0,
        }
    }
}

impl Logic for DelayLine {
    fn update(&mut self) {
        // rust-hdl reports a clock edge to exactly one update pass.
        if self.clock.pos_edge() && self.enable.val() {
            let next = (self._ptr + 1) % LINE_DELAY;
            self._mem[self._ptr] = self.d.val().0;
            self.q.next = Word(self._mem[next]);
            self._ptr = next;
        }
    }

    fn connect(&mut self) {
        self.q.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "(* ram_style = \"block\" *) reg [31:0] mem [0:7];\n\
             reg [2:0] ptr = 3'd0;\n\
             always @(posedge clock) if (enable) begin\n    \
             mem[ptr] <= d;\n    \
             q <= mem[ptr + 3'd1];\n    \
             ptr <= ptr + 3'd1;\n\
             end\n"
                .into(),
        )
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
    /// edge `n + 7`, and disabled edges do not count.
    #[test]
    fn delays_by_eight_enabled_edges() {
        let mut line = DelayLine::default();
        line.connect_all();
        let mut written = vec![];
        for n in 0..40u32 {
            // Every third edge is stalled, with a decoy on `d`.
            let enabled = n % 3 != 2;
            line.enable.next = enabled;
            let value = 0x1000 + n;
            line.d.next = w(if enabled { value } else { 0xdead });
            clock(&mut line);
            if enabled {
                written.push(value);
                if written.len() >= LINE_DELAY {
                    let want = written[written.len() - LINE_DELAY];
                    assert_eq!(line.q.val().0, want, "edge {n}");
                }
            }
        }
    }

    #[test]
    fn the_verilog_is_a_block_ram() {
        let text = match DelayLine::default().hdl() {
            Verilog::Custom(t) => t,
            _ => unreachable!("DelayLine writes its own Verilog"),
        };
        assert!(text.contains("ram_style = \"block\""));
        assert!(text.contains(&format!("[0:{}]", LINE_DELAY - 1)));
    }
}
