//! The whole board design minus pins and PLL, with bytes going through its
//! UART bit by bit.

use crate::clocked::Clocked;
use crate::uart_line::UartLine;
use crate::SimError;
use ferrominer_hdl::board::{BoardLogic, Protocol};
use ferrominer_hdl::protocol::EngineConfig;
use ferrominer_hdl::uart::BaudDivisor;

/// [`BoardLogic`] driven through a software UART.
pub struct BoardUartSim {
    sim: Clocked<BoardLogic>,
    line: UartLine,
}

impl BoardUartSim {
    /// A native-protocol board at `config.clock_hz` and `baud`.
    pub fn new(config: EngineConfig, baud: u64) -> Result<Self, SimError> {
        Self::with_protocol(config, baud, Protocol::Native)
    }

    /// A board speaking `protocol`.
    pub fn with_protocol(
        config: EngineConfig,
        baud: u64,
        protocol: Protocol,
    ) -> Result<Self, SimError> {
        let divisor = BaudDivisor::new(u64::from(config.clock_hz), baud)
            .map_err(|e| SimError::Config(e.to_string()))?
            .divisor;
        let logic = BoardLogic::with_protocol(config, baud, protocol)
            .map_err(|e| SimError::Config(e.to_string()))?;
        let mut sim = Clocked::new(logic)?;
        sim.dut.rx.next = true;
        Ok(Self {
            sim,
            line: UartLine::new(divisor as u32),
        })
    }

    /// Queue bytes on the line to the board.
    pub fn send(&mut self, bytes: &[u8]) {
        self.line.send(bytes);
    }

    /// Bytes the board has sent.
    pub fn take_received(&mut self) -> Vec<u8> {
        self.line.take_received()
    }

    /// The raw line: drive this level instead of the queued bytes' bits for
    /// one cycle (to inject noise).
    pub fn step_with_rx(&mut self, level: Option<bool>) -> Result<(), SimError> {
        let driven = self.line.drive();
        self.sim.dut.rx.next = level.unwrap_or(driven);
        self.sim.step()?;
        self.line.sample(self.sim.dut.tx.val());
        Ok(())
    }

    /// One clock cycle.
    pub fn step(&mut self) -> Result<(), SimError> {
        self.step_with_rx(None)
    }

    /// The busy and error LEDs.
    pub fn leds(&self) -> (bool, bool) {
        (self.sim.dut.led_busy.val(), self.sim.dut.led_error.val())
    }

    /// Frames from the board with a bad start or stop bit.
    pub fn framing_errors(&self) -> u32 {
        self.line.framing_errors()
    }
}
