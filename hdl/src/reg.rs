//! A plain data register.

use rust_hdl::prelude::*;

/// A D flip-flop bank for datapath values, with no initial value.
///
/// rust-hdl's `DFF` emits `initial q = 0`. For datapath registers that
/// only matters for simulation, and it stops yosys from folding a register
/// whose input is a non-zero constant (the SHA-256 padding words): with no
/// initial value, such a register is replaced by its constant. Control bits
/// (valid flags, counters) use `DFF`, which does start at zero.
#[derive(LogicBlock, Default)]
pub struct DataReg<T: Synth> {
    /// Next value, taken on the rising clock edge.
    pub d: Signal<In, T>,
    /// Current value.
    pub q: Signal<Out, T>,
    /// Clock.
    pub clock: Signal<In, Clock>,
}

impl<T: Synth> Logic for DataReg<T> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.q.next = self.d.val();
        }
    }

    fn connect(&mut self) {
        self.q.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom("always @(posedge clock) q <= d;\n".into())
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "data_reg".into(),
            clock: "clock".into(),
            inputs: vec!["d".into()],
            outputs: vec!["q".into()],
        }]
    }
}
