//! A one-bit signal put on a global (clock) network.

use rust_hdl::prelude::*;

/// The Verilog macro that makes [`GlobalBuffer`] an ECP5 `DCCA`. The board
/// top level defines it for ECP5 builds; without it (simulation, iCE40) the
/// buffer is a plain wire.
pub const ECP5_GLOBALS_DEFINE: &str = "FERROMINER_ECP5_GLOBALS";

/// Drives `o` with `i` through a global network where the build asks for
/// one.
///
/// The core's stall (`enable`) reaches the clock enable of nearly every
/// flip-flop: about 39,000 on the 85F at U=32. In general routing that one
/// net left nextpnr's router2 with 21,000 overused wires after eight
/// iterations (and rising); on a `DCCA`, 12,900 after eight and 3,300 after
/// 22, and router1 then routed the design (Fmax 90.4 MHz). The iCE40
/// designs are small enough not to need it.
#[derive(LogicBlock, Default)]
pub struct GlobalBuffer {
    /// The signal.
    pub i: Signal<In, Bit>,
    /// The same signal, from the global network.
    pub o: Signal<Out, Bit>,
}

impl Logic for GlobalBuffer {
    fn update(&mut self) {
        self.o.next = self.i.val();
    }

    fn connect(&mut self) {
        self.o.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "`ifdef {ECP5_GLOBALS_DEFINE}\n\
             wire g;\n\
             DCCA gb (.CLKI(i), .CE(1'b1), .CLKO(g));\n\
             always @(*) o = g;\n\
             `else\n\
             always @(*) o = i;\n\
             `endif\n"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::settle;

    #[test]
    fn passes_the_signal_through() {
        let mut b = GlobalBuffer::default();
        b.connect_all();
        for v in [true, false, true] {
            b.i.next = v;
            settle(&mut b);
            assert_eq!(b.o.val(), v);
        }
    }
}
