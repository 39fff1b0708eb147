//! CRC-16/CCITT-FALSE over one byte, the frame check of the native protocol.

use rust_hdl::prelude::*;

/// Polynomial x^16 + x^12 + x^5 + 1, MSB first.
pub const POLY: u16 = 0x1021;
/// Initial CRC value.
pub const INIT: u16 = 0xFFFF;

/// The CRC after one more byte, bit by bit (the software model).
pub fn crc16_byte(crc: u16, byte: u8) -> u16 {
    let mut c = crc ^ (u16::from(byte) << 8);
    for _ in 0..8 {
        c = if c & 0x8000 != 0 {
            (c << 1) ^ POLY
        } else {
            c << 1
        };
    }
    c
}

/// The next CRC from the current one and a byte, in one cycle.
///
/// The update is linear over GF(2), so each output bit is the XOR of some
/// input bits. `hdl` derives those equations from [`crc16_byte`] (by feeding
/// it each input bit alone) and emits them as Verilog; `update` runs
/// [`crc16_byte`] natively. Tests check both against the published check
/// value and each other.
#[derive(LogicBlock, Default)]
pub struct Crc16Byte {
    /// CRC so far.
    pub crc: Signal<In, Bits<16>>,
    /// Next byte.
    pub data: Signal<In, Bits<8>>,
    /// CRC including `data`.
    pub out: Signal<Out, Bits<16>>,
}

/// For each output bit, the input bits XORed into it: (crc bits, data bits).
fn equations() -> Vec<(Vec<usize>, Vec<usize>)> {
    (0..16)
        .map(|out| {
            let crc_terms = (0..16)
                .filter(|&i| crc16_byte(1 << i, 0) >> out & 1 == 1)
                .collect();
            let data_terms = (0..8)
                .filter(|&i| crc16_byte(0, 1 << i) >> out & 1 == 1)
                .collect();
            (crc_terms, data_terms)
        })
        .collect()
}

impl Logic for Crc16Byte {
    fn update(&mut self) {
        let c = crc16_byte(self.crc.val().to_u16(), self.data.val().to_u8());
        self.out.next = u64::from(c).into();
    }

    fn connect(&mut self) {
        self.out.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut body =
            String::from("// CRC-16/CCITT-FALSE, one byte per cycle\nalways @(*) begin\n");
        for (out, (c, d)) in equations().iter().enumerate() {
            let terms: Vec<String> = c
                .iter()
                .map(|i| format!("crc[{i}]"))
                .chain(d.iter().map(|i| format!("data[{i}]")))
                .collect();
            body.push_str(&format!("    out[{out}] = {};\n", terms.join(" ^ ")));
        }
        body.push_str("end\n");
        Verilog::Custom(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::settle;

    #[test]
    fn check_value() {
        let crc = b"123456789".iter().fold(INIT, |c, b| crc16_byte(c, *b));
        assert_eq!(crc, 0x29B1);
    }

    /// The block, and the XOR equations its Verilog is made of, against the
    /// bitwise model for random inputs.
    #[test]
    fn block_and_equations_match_model() {
        let eq = equations();
        let mut block = Crc16Byte::default();
        block.connect_all();
        let mut x: u32 = 0x1234_5678;
        for _ in 0..2000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let (crc, byte) = ((x >> 8) as u16, (x >> 24) as u8);
            let want = crc16_byte(crc, byte);
            block.crc.next = u64::from(crc).into();
            block.data.next = u64::from(byte).into();
            settle(&mut block);
            assert_eq!(block.out.val().to_u16(), want);
            let from_eq = eq.iter().enumerate().fold(0u16, |acc, (o, (c, d))| {
                let bit = c.iter().fold(0, |b, i| b ^ (crc >> i & 1))
                    ^ d.iter().fold(0, |b, i| b ^ (u16::from(byte) >> i & 1));
                acc | (bit << o)
            });
            assert_eq!(from_eq, want);
        }
    }
}
