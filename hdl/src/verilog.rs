//! Verilog generation for the gateware.

use rust_hdl::prelude::*;

/// The Verilog of a block, as rust-hdl generates it, with `top` as the name
/// of the outermost module.
pub fn to_verilog<B: Block>(block: &mut B, top: &str) -> String {
    block.connect_all();
    let text = generate_verilog(block);
    text.replace("module top(", &format!("module {top}("))
}
