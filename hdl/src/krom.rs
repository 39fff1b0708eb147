//! The round constants a stage needs, as a small synchronous ROM.

use crate::word::Word;
use rust_hdl::prelude::*;

/// `K[t+1]` for each round a stage runs, read one cycle after its address
/// (registered output), like rust-hdl's `SyncROM` but with a `rom_style`
/// attribute: tables of [`BLOCK_ROM_MIN`] entries or more go to block RAM
/// instead of LUTs; smaller ones stay in logic, so designs with many
/// stages do not run out of block RAMs.
#[derive(LogicBlock)]
pub struct KRom {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The round index within the stage, one cycle ahead.
    pub address: Signal<In, Bits<6>>,
    /// The constant for `address` as of the previous clock edge.
    pub data: Signal<Out, Word>,
    _table: Vec<u32>,
}

/// Smallest table put in block RAM.
pub const BLOCK_ROM_MIN: usize = 16;

impl KRom {
    /// A ROM holding `table` at addresses `0..table.len()` (others read 0).
    pub fn new(table: Vec<u32>) -> Self {
        assert!(table.len() <= 64);
        Self {
            clock: Default::default(),
            address: Default::default(),
            data: Default::default(),
            _table: table,
        }
    }
}

impl Logic for KRom {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let a = self.address.val().index();
            self.data.next = Word(self._table.get(a).copied().unwrap_or(0));
        }
    }

    fn connect(&mut self) {
        self.data.connect();
    }

    fn hdl(&self) -> Verilog {
        let init: String = self
            ._table
            .iter()
            .enumerate()
            .map(|(i, k)| format!("    mem[{i}] = 32'h{k:08x};\n"))
            .collect();
        let style = if self._table.len() >= BLOCK_ROM_MIN {
            "block"
        } else {
            "logic"
        };
        Verilog::Custom(format!(
            "(* rom_style = \"{style}\" *) reg [31:0] mem [0:63];\ninteger i;\ninitial begin\n    for (i = 0; i < 64; i = i + 1) mem[i] = 32'h0;\n{init}end\nalways @(posedge clock) data <= mem[address];\n"
        ))
    }
}
