//! The board design at its byte interface, in rust-hdl's simulator.

use crate::clocked::Clocked;
use crate::SimError;
use ferrominer_hdl::board::{MinerBoard, Protocol};
use ferrominer_hdl::protocol::EngineConfig;
use std::collections::VecDeque;

/// The board's gateware (protocol engine and cores) with bytes injected
/// where the UART receiver would deliver them and taken where the UART
/// transmitter would.
pub struct BoardSim {
    sim: Clocked<MinerBoard>,
    rx_queue: VecDeque<u8>,
    tx_out: Vec<u8>,
    gap: u32,
    wait: u32,
}

impl BoardSim {
    /// A board built from `config`. `byte_gap` is the number of idle cycles
    /// between two injected bytes (a real UART leaves about
    /// `10 × clock / baud`).
    pub fn new(config: EngineConfig, byte_gap: u32) -> Result<Self, SimError> {
        Self::with_protocol(config, Protocol::Native, byte_gap)
    }

    /// A board speaking `protocol`.
    pub fn with_protocol(
        config: EngineConfig,
        protocol: Protocol,
        byte_gap: u32,
    ) -> Result<Self, SimError> {
        let board = MinerBoard::with_protocol(config, protocol)
            .map_err(|e| SimError::Config(e.to_string()))?;
        let mut sim = Clocked::new(board)?;
        sim.dut.tx_ready.next = true;
        Ok(Self {
            sim,
            rx_queue: VecDeque::new(),
            tx_out: Vec::new(),
            gap: byte_gap,
            wait: 0,
        })
    }

    /// Queue bytes for the board to receive.
    pub fn send(&mut self, bytes: &[u8]) {
        self.rx_queue.extend(bytes);
    }

    /// Bytes queued but not yet delivered to the board.
    pub fn queued(&self) -> usize {
        self.rx_queue.len()
    }

    /// Take the bytes the board has sent.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.tx_out)
    }

    /// One clock cycle.
    pub fn step(&mut self) -> Result<(), SimError> {
        let dut = &mut self.sim.dut;
        dut.rx_valid.next = false;
        if self.wait > 0 {
            self.wait -= 1;
        } else if let Some(b) = self.rx_queue.pop_front() {
            dut.rx_data.next = u64::from(b).into();
            dut.rx_valid.next = true;
            self.wait = self.gap;
        }
        // The transmitter takes a byte whenever one is offered.
        if dut.tx_valid.val() {
            self.tx_out.push(dut.tx_data.val().to_u8());
        }
        self.sim.step()
    }

    /// `n` clock cycles.
    pub fn run(&mut self, n: u64) -> Result<(), SimError> {
        for _ in 0..n {
            self.step()?;
        }
        Ok(())
    }

    /// Clock cycles so far.
    pub fn cycles(&self) -> u64 {
        self.sim.cycles()
    }

    /// The cores are hashing.
    pub fn busy(&self) -> bool {
        self.sim.dut.busy.val()
    }
}
