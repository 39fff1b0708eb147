//! A small byte memory in block RAM: the protocol engines' receive buffer.

use rust_hdl::prelude::*;

/// Bytes in a [`ByteRam`] (a frame's payload is at most 64 bytes).
pub const BYTE_RAM_DEPTH: usize = 64;

/// 64 bytes with one synchronous write port and one synchronous read port.
///
/// On every rising edge, `read_data` takes the byte at `read_addr` (the value
/// before that edge's write: a read and a write of the same address on one
/// edge returns the old byte), and, if `write_enable`, `write_data` is
/// stored at `write_addr`. The read port is always enabled.
///
/// Its Verilog is the textbook inferred RAM, so yosys maps it to one iCE40
/// SB_RAM40_4K or one ECP5 DP16KD, where 64 bytes of flip-flops would take
/// 512 logic cells. The users never use what a read returns on an edge that
/// writes the same address, so the memory carries yosys's `no_rw_check`:
/// without it, yosys would emulate the read-old collision behaviour around
/// the block RAM with 24 flip-flops and 14 LUTs (checked with yosys 0.70,
/// `synth_ice40`; with it, `synth_ice40` gives one SB_RAM40_4K and nothing
/// else, `synth_ecp5` one DP16KD). The contents start undefined in the
/// Verilog (zero in this model): nothing uses a byte before it is written.
#[derive(LogicBlock)]
pub struct ByteRam {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Store `write_data` at `write_addr` on this edge.
    pub write_enable: Signal<In, Bit>,
    /// Write address.
    pub write_addr: Signal<In, Bits<6>>,
    /// Byte to store.
    pub write_data: Signal<In, Bits<8>>,
    /// Read address (sampled on the edge).
    pub read_addr: Signal<In, Bits<6>>,
    /// The byte at the `read_addr` of the last edge.
    pub read_data: Signal<Out, Bits<8>>,
    _mem: [u8; BYTE_RAM_DEPTH],
}

impl Default for ByteRam {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            write_enable: Default::default(),
            write_addr: Default::default(),
            write_data: Default::default(),
            read_addr: Default::default(),
            read_data: Default::default(),
            _mem: [0; BYTE_RAM_DEPTH],
        }
    }
}

impl Logic for ByteRam {
    fn update(&mut self) {
        // rust-hdl reports a clock edge to exactly one update pass, in which
        // every input still has its value from before the edge.
        if self.clock.pos_edge() {
            let read = self.read_addr.val().index();
            self.read_data.next = u64::from(self._mem[read]).into();
            if self.write_enable.val() {
                self._mem[self.write_addr.val().index()] = self.write_data.val().to_u8();
            }
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "(* ram_style = \"block\", no_rw_check *) reg [7:0] mem [0:63];\n\
             always @(posedge clock) begin\n    \
             if (write_enable) mem[write_addr] <= write_data;\n    \
             read_data <= mem[read_addr];\n\
             end\n"
                .into(),
        )
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "byte_ram".into(),
            clock: "clock".into(),
            inputs: vec![
                "write_enable".into(),
                "write_addr".into(),
                "write_data".into(),
                "read_addr".into(),
            ],
            outputs: vec!["read_data".into()],
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::tick;

    fn clock(ram: &mut ByteRam) {
        tick(ram, |b| &mut b.clock);
    }

    fn write(ram: &mut ByteRam, addr: usize, data: u8) {
        ram.write_enable.next = true;
        ram.write_addr.next = (addr as u64).into();
        ram.write_data.next = u64::from(data).into();
        clock(ram);
        ram.write_enable.next = false;
    }

    fn read(ram: &mut ByteRam, addr: usize) -> u8 {
        ram.read_addr.next = (addr as u64).into();
        clock(ram);
        ram.read_data.val().to_u8()
    }

    #[test]
    fn stores_and_reads_back_every_address() {
        let mut ram = ByteRam::default();
        ram.connect_all();
        for a in 0..BYTE_RAM_DEPTH {
            write(&mut ram, a, (a as u8).wrapping_mul(37) ^ 0x5a);
        }
        for a in (0..BYTE_RAM_DEPTH).rev() {
            assert_eq!(read(&mut ram, a), (a as u8).wrapping_mul(37) ^ 0x5a);
        }
    }

    /// The read is registered: `read_data` changes only on an edge, and a
    /// write on the edge that reads the same address returns the old byte.
    #[test]
    fn read_is_registered_and_read_old_on_collision() {
        let mut ram = ByteRam::default();
        ram.connect_all();
        write(&mut ram, 5, 0x11);
        assert_eq!(read(&mut ram, 5), 0x11);
        // Change the address without an edge: the output holds.
        ram.read_addr.next = 9u64.into();
        crate::testing::settle(&mut ram);
        assert_eq!(ram.read_data.val().to_u8(), 0x11);
        // Read and write address 5 on one edge.
        ram.read_addr.next = 5u64.into();
        write(&mut ram, 5, 0x22);
        assert_eq!(ram.read_data.val().to_u8(), 0x11);
        assert_eq!(read(&mut ram, 5), 0x22);
        // A disabled write stores nothing.
        ram.write_addr.next = 5u64.into();
        ram.write_data.next = 0x33u64.into();
        clock(&mut ram);
        assert_eq!(read(&mut ram, 5), 0x22);
    }

    #[test]
    fn the_verilog_is_a_block_ram() {
        let text = match ByteRam::default().hdl() {
            Verilog::Custom(t) => t,
            _ => unreachable!("ByteRam writes its own Verilog"),
        };
        assert!(text.contains("(* ram_style = \"block\", no_rw_check *)"));
        assert!(text.contains(&format!("reg [7:0] mem [0:{}]", BYTE_RAM_DEPTH - 1)));
        // One write port and one registered read port, in one clocked block.
        assert_eq!(text.matches("always @(posedge clock)").count(), 1);
        assert!(text.contains("mem[write_addr] <= write_data"));
        assert!(text.contains("read_data <= mem[read_addr]"));
    }
}
