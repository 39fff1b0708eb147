//! The board design: protocol engine and cores, with or without the UART.

use crate::core_array::{ConfigError, CoreArray};
use crate::protocol::{EngineConfig, ProtocolEngine};
use crate::uart::{BaudError, UartRx, UartTx};
use rust_hdl::prelude::*;

/// The board's logic at the byte level: the protocol engine and `N` cores
/// of unroll `U`. This is what the board emulator runs, feeding bytes where
/// the UART would.
#[derive(LogicBlock)]
pub struct MinerBoard {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Received byte.
    pub rx_data: Signal<In, Bits<8>>,
    /// `rx_data` holds a new byte (one-cycle strobe).
    pub rx_valid: Signal<In, Bit>,
    /// Byte to send.
    pub tx_data: Signal<Out, Bits<8>>,
    /// `tx_data` is valid.
    pub tx_valid: Signal<Out, Bit>,
    /// The transmitter takes `tx_data` this cycle.
    pub tx_ready: Signal<In, Bit>,
    /// The cores are hashing.
    pub busy: Signal<Out, Bit>,
    engine: ProtocolEngine,
    cores: CoreArray,
    _config: EngineConfig,
}

impl MinerBoard {
    /// A board with the engine configured by `config`.
    pub fn new(config: EngineConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            clock: Default::default(),
            rx_data: Default::default(),
            rx_valid: Default::default(),
            tx_data: Default::default(),
            tx_valid: Default::default(),
            tx_ready: Default::default(),
            busy: Default::default(),
            engine: ProtocolEngine::new(config),
            cores: CoreArray::new(config.unroll, config.cores)?,
            _config: config,
        })
    }

    /// How the board was built.
    pub fn config(&self) -> EngineConfig {
        self._config
    }
}

impl Logic for MinerBoard {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, engine, cores);
        self.engine.rx_data.next = self.rx_data.val();
        self.engine.rx_valid.next = self.rx_valid.val();
        self.tx_data.next = self.engine.tx_data.val();
        self.tx_valid.next = self.engine.tx_valid.val();
        self.engine.tx_ready.next = self.tx_ready.val();
        self.cores.midstate.next = self.engine.midstate.val();
        self.cores.tail.next = self.engine.tail.val();
        self.cores.nonce_start.next = self.engine.nonce_start.val();
        self.cores.nonce_end.next = self.engine.nonce_end.val();
        self.cores.threshold.next = self.engine.threshold.val();
        self.cores.tag.next = self.engine.tag.val();
        self.cores.start.next = self.engine.start.val();
        self.engine.result_valid.next = self.cores.result_valid.val();
        self.engine.result.next = self.cores.result.val();
        self.cores.result_ack.next = self.engine.result_ack.val();
        self.engine.progress.next = self.cores.progress.val();
        self.engine.busy.next = self.cores.busy.val();
        self.engine.stalled.next = self.cores.stalled.val();
        self.engine.more.next = self.cores.more.val();
        self.busy.next = self.cores.busy.val();
    }
}

/// Why a board design cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardError {
    /// Bad unroll or core count.
    Config(ConfigError),
    /// The baud rate does not work with the clock.
    Baud(BaudError),
}

impl std::fmt::Display for BoardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BoardError::Config(e) => e.fmt(f),
            BoardError::Baud(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BoardError {}

impl From<ConfigError> for BoardError {
    fn from(e: ConfigError) -> Self {
        BoardError::Config(e)
    }
}

impl From<BaudError> for BoardError {
    fn from(e: BaudError) -> Self {
        BoardError::Baud(e)
    }
}

/// The whole board design minus the pins and the PLL: UART receiver and
/// transmitter around a [`MinerBoard`].
#[derive(LogicBlock)]
pub struct BoardLogic {
    /// Hash clock.
    pub clock: Signal<In, Clock>,
    /// UART line from the host (idle high).
    pub rx: Signal<In, Bit>,
    /// UART line to the host (idle high).
    pub tx: Signal<Out, Bit>,
    /// LED 0: the cores are hashing.
    pub led_busy: Signal<Out, Bit>,
    /// LED 1: a byte was received with a framing error (held until the next
    /// good byte): the baud rate or the wiring is wrong.
    pub led_error: Signal<Out, Bit>,
    uart_rx: UartRx,
    uart_tx: UartTx,
    board: MinerBoard,
    error: DFF<Bit>,
}

impl BoardLogic {
    /// A board at `config.clock_hz` talking at `baud`.
    pub fn new(config: EngineConfig, baud: u64) -> Result<Self, BoardError> {
        Ok(Self {
            clock: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            led_busy: Default::default(),
            led_error: Default::default(),
            uart_rx: UartRx::new(u64::from(config.clock_hz), baud)?,
            uart_tx: UartTx::new(u64::from(config.clock_hz), baud)?,
            board: MinerBoard::new(config)?,
            error: Default::default(),
        })
    }
}

impl Logic for BoardLogic {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, uart_rx, uart_tx, board);
        dff_setup!(self, clock, error);
        self.uart_rx.rx.next = self.rx.val();
        self.board.rx_data.next = self.uart_rx.data.val();
        self.board.rx_valid.next = self.uart_rx.valid.val();
        self.uart_tx.data.next = self.board.tx_data.val();
        self.uart_tx.start.next = self.board.tx_valid.val() & self.uart_tx.ready.val();
        self.board.tx_ready.next = self.uart_tx.ready.val();
        self.tx.next = self.uart_tx.tx.val();
        if self.uart_rx.framing_error.val() {
            self.error.d.next = true;
        }
        if self.uart_rx.valid.val() {
            self.error.d.next = false;
        }
        self.led_busy.next = self.board.busy.val();
        self.led_error.next = self.error.q.val();
    }
}
