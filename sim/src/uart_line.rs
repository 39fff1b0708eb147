//! The host's end of a UART line, bit by bit, for simulating a board
//! design with its UART.

use std::collections::VecDeque;

/// A software UART (8N1) clocked with the simulated design: it drives the
/// design's `rx` line and decodes its `tx` line, `divisor` cycles per bit.
#[derive(Debug)]
pub struct UartLine {
    divisor: u32,
    out_bits: VecDeque<bool>,
    hold: u32,
    level: bool,
    // Receiver.
    rx_count: u32,
    rx_bits: Vec<bool>,
    rx_active: bool,
    received: Vec<u8>,
    framing_errors: u32,
}

impl UartLine {
    /// A line at `divisor` clock cycles per bit.
    pub fn new(divisor: u32) -> Self {
        Self {
            divisor,
            out_bits: VecDeque::new(),
            hold: 0,
            level: true,
            rx_count: 0,
            rx_bits: Vec::new(),
            rx_active: false,
            received: Vec::new(),
            framing_errors: 0,
        }
    }

    /// Queue bytes to send to the design.
    pub fn send(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.out_bits.push_back(false);
            for i in 0..8 {
                self.out_bits.push_back(b >> i & 1 == 1);
            }
            self.out_bits.push_back(true);
        }
    }

    /// Nothing left to send.
    pub fn idle(&self) -> bool {
        self.out_bits.is_empty() && self.hold == 0
    }

    /// The level to drive on the design's `rx` this cycle.
    pub fn drive(&mut self) -> bool {
        if self.hold == 0 {
            if let Some(bit) = self.out_bits.pop_front() {
                self.level = bit;
                self.hold = self.divisor;
            } else {
                self.level = true;
            }
        }
        self.hold = self.hold.saturating_sub(1);
        self.level
    }

    /// Sample the design's `tx` this cycle.
    pub fn sample(&mut self, tx: bool) {
        if !self.rx_active {
            if !tx {
                self.rx_active = true;
                self.rx_count = 0;
                self.rx_bits.clear();
            }
            return;
        }
        self.rx_count += 1;
        // Sample in the middle of each bit after the start bit.
        let centre = self.divisor / 2;
        if self.rx_count >= centre && (self.rx_count - centre).is_multiple_of(self.divisor) {
            self.rx_bits.push(tx);
            if self.rx_bits.len() == 10 {
                // bits[0] is the middle of the start bit.
                let byte = (0..8).fold(0u8, |acc, i| acc | (u8::from(self.rx_bits[1 + i]) << i));
                if self.rx_bits[9] && !self.rx_bits[0] {
                    self.received.push(byte);
                } else {
                    self.framing_errors += 1;
                }
                self.rx_active = false;
            }
        }
    }

    /// Take the bytes received from the design.
    pub fn take_received(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.received)
    }

    /// Frames from the design with a bad start or stop bit.
    pub fn framing_errors(&self) -> u32 {
        self.framing_errors
    }
}
