//! The board design: protocol engine and cores, with or without the UART.

use crate::core::NonceOrder;
use crate::core_array::{ConfigError, CoreArray};
use crate::icarus::IcarusEngine;
use crate::protocol::{EngineConfig, ProtocolEngine};
use crate::uart::{BaudError, UartRx, UartTx};
use rust_hdl::prelude::*;

/// Which protocol a board speaks (a build option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// ferrominer's framed protocol (`docs/protocol.md`).
    #[default]
    Native,
    /// Icarus-compatible, for cgminer and bfgminer.
    Icarus,
}

/// The board's logic at the byte level: the protocol engine and `N` cores
/// of unroll `U`. This is what the board emulator runs, feeding bytes where
/// the UART would.
///
/// Both engines are in the source; a constant picks one, and synthesis
/// removes the other.
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
    icarus: IcarusEngine,
    cores: CoreArray,
    use_icarus: Constant<Bit>,
    icarus_start: Constant<crate::word::Word>,
    icarus_end: Constant<crate::word::Word>,
    _config: EngineConfig,
    _protocol: Protocol,
}

impl MinerBoard {
    /// A native-protocol board with the engine configured by `config`.
    pub fn new(config: EngineConfig) -> Result<Self, ConfigError> {
        Self::with_protocol(config, Protocol::Native)
    }

    /// A board speaking `protocol`.
    pub fn with_protocol(config: EngineConfig, protocol: Protocol) -> Result<Self, ConfigError> {
        let order = match protocol {
            Protocol::Native => NonceOrder::Header,
            Protocol::Icarus => NonceOrder::BigEndian,
        };
        Ok(Self {
            clock: Default::default(),
            rx_data: Default::default(),
            rx_valid: Default::default(),
            tx_data: Default::default(),
            tx_valid: Default::default(),
            tx_ready: Default::default(),
            busy: Default::default(),
            engine: ProtocolEngine::new(config),
            icarus: IcarusEngine::new(config.timeout_cycles),
            cores: CoreArray::with_order(config.unroll, config.cores, order, config.t1)?,
            use_icarus: Constant::new(protocol == Protocol::Icarus),
            icarus_start: Constant::new(crate::word::Word(config.icarus_first_nonce)),
            icarus_end: Constant::new(crate::word::Word(u32::MAX)),
            _config: config,
            _protocol: protocol,
        })
    }

    /// How the board was built.
    pub fn config(&self) -> EngineConfig {
        self._config
    }

    /// The protocol the board speaks.
    pub fn protocol(&self) -> Protocol {
        self._protocol
    }
}

impl Logic for MinerBoard {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, engine, icarus, cores);
        self.engine.rx_data.next = self.rx_data.val();
        self.engine.rx_valid.next = self.rx_valid.val();
        self.icarus.rx_data.next = self.rx_data.val();
        self.icarus.rx_valid.next = self.rx_valid.val();
        self.engine.tx_ready.next = self.tx_ready.val();
        self.icarus.tx_ready.next = self.tx_ready.val();
        self.engine.progress.next = self.cores.progress.val();
        self.engine.busy.next = self.cores.busy.val();
        self.engine.stalled.next = self.cores.stalled.val();
        self.engine.more.next = self.cores.more.val();
        self.engine.result.next = self.cores.result.val();
        self.icarus.result.next = self.cores.result.val();
        self.busy.next = self.cores.busy.val();
        if self.use_icarus.val() {
            self.tx_data.next = self.icarus.tx_data.val();
            self.tx_valid.next = self.icarus.tx_valid.val();
            self.cores.midstate.next = self.icarus.midstate.val();
            self.cores.tail.next = self.icarus.tail.val();
            self.cores.nonce_start.next = self.icarus_start.val();
            self.cores.nonce_end.next = self.icarus_end.val();
            self.cores.threshold.next = 0.into();
            self.cores.tag.next = self.icarus.tag.val();
            self.cores.start.next = self.icarus.start.val();
            self.cores.stop.next = self.icarus.stop.val();
            self.icarus.result_valid.next = self.cores.result_valid.val();
            self.engine.result_valid.next = false;
            self.cores.result_ack.next = self.icarus.result_ack.val();
        } else {
            self.tx_data.next = self.engine.tx_data.val();
            self.tx_valid.next = self.engine.tx_valid.val();
            self.cores.midstate.next = self.engine.midstate.val();
            self.cores.tail.next = self.engine.tail.val();
            self.cores.nonce_start.next = self.engine.nonce_start.val();
            self.cores.nonce_end.next = self.engine.nonce_end.val();
            self.cores.threshold.next = self.engine.threshold.val();
            self.cores.tag.next = self.engine.tag.val();
            self.cores.start.next = self.engine.start.val();
            self.cores.stop.next = self.engine.stop.val();
            self.engine.result_valid.next = self.cores.result_valid.val();
            self.icarus.result_valid.next = false;
            self.cores.result_ack.next = self.engine.result_ack.val();
        }
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
    /// A native-protocol board at `config.clock_hz` talking at `baud`.
    pub fn new(config: EngineConfig, baud: u64) -> Result<Self, BoardError> {
        Self::with_protocol(config, baud, Protocol::Native)
    }

    /// A board speaking `protocol`.
    pub fn with_protocol(
        config: EngineConfig,
        baud: u64,
        protocol: Protocol,
    ) -> Result<Self, BoardError> {
        Ok(Self {
            clock: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            led_busy: Default::default(),
            led_error: Default::default(),
            uart_rx: UartRx::new(u64::from(config.clock_hz), baud)?,
            uart_tx: UartTx::new(u64::from(config.clock_hz), baud)?,
            board: MinerBoard::with_protocol(config, protocol)?,
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
