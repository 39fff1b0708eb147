//! ferrominer gateware, written with rust-hdl 0.46.
//!
//! The mining core is built from small blocks, each tested on its own
//! against a software model:
//! - [`word`]: the 32-bit datapath signal type;
//! - [`wiring`]: Σ0, Σ1, σ0, σ1 and a byte swap (fixed wiring and XOR);
//! - [`functions`]: Ch and Maj;
//! - [`carry_save`]: a 3:2 compressor, for the round's `T1`;
//! - [`fused_add`]: `a + Ch` or `a + Maj` in one ECP5 carry chain;
//! - [`load_add`]: `load ? v : x + y` in one ECP5 carry chain;
//! - [`schedule`]: one message-schedule step;
//! - [`constants`]: the K table, the IV and the padding words;
//! - [`round`]: one round stage (round + schedule step + register), with
//!   [`delay_line`] holding the schedule words that only wait;
//! - [`transform`]: a chain of round stages, one SHA-256 compression,
//!   whose entry select comes from a [`fanout`] register;
//! - [`core`]: the SHA-256d mining core with its nonce counter, compare and
//!   found-nonce FIFO.
//!
//! [`verilog`] turns any block into Verilog.

pub mod board;
pub mod byte_ram;
pub mod carry_save;
pub mod constants;
pub mod core;
pub mod core_array;
pub mod crc;
pub mod delay_line;
pub mod fanout;
pub mod functions;
pub mod fused_add;
pub mod global_buffer;
pub mod icarus;
pub mod krom;
pub mod load_add;
pub mod pll;
pub mod protocol;
pub mod reg;
pub mod round;
pub mod schedule;
pub mod slot;
pub mod top;
pub mod transform;
pub mod uart;
pub mod verilog;
pub mod wiring;
pub mod word;

pub use crate::core::{CoreShape, MinerCore, NonceOrder, UnsupportedUnroll, SUPPORTED_UNROLLS};
pub use crate::slot::{Found, Slot, State8, Tail};
pub use crate::word::Word;

#[cfg(test)]
mod testing;
