//! Board descriptors: the FPGA boards ferrominer builds for.
//!
//! Every fact here comes from `/work/shared/boards/boards.toml` (pins,
//! clocks, nextpnr arguments, programmers, USB ids; each with its sources),
//! except the device capacities, which were read from nextpnr's own
//! `--report` (see [`Capacity::source`]).
//!
//! ```
//! use ferrominer::boards::{Board, Family};
//!
//! let board = Board::find("icebreaker")?;
//! assert_eq!(board.family, Family::Ice40);
//! assert_eq!(board.nextpnr_args, ["--up5k", "--package", "sg48"]);
//! assert!(Board::find("icebreakr").unwrap_err().to_string().contains("ulx3s-25f"));
//! # Ok::<(), ferrominer::boards::BoardError>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// The FPGA family, which picks the synthesis, place-and-route and packing
/// tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Lattice iCE40: `synth_ice40`, `nextpnr-ice40`, `icepack`, PCF pins.
    Ice40,
    /// Lattice ECP5: `synth_ecp5`, `nextpnr-ecp5`, `ecppack`, LPF pins.
    Ecp5,
}

impl Family {
    /// The yosys synthesis command for this family (`synth_ice40`, `synth_ecp5`).
    pub fn synth_command(self) -> &'static str {
        match self {
            Family::Ice40 => "synth_ice40",
            Family::Ecp5 => "synth_ecp5",
        }
    }

    /// The bitstream file extension: `bin` (icepack) or `bit` (ecppack).
    pub fn bitstream_extension(self) -> &'static str {
        match self {
            Family::Ice40 => "bin",
            Family::Ecp5 => "bit",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Ice40 => "iCE40",
            Family::Ecp5 => "ECP5",
        })
    }
}

/// The tool that turns nextpnr's output into a bitstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PackTool {
    /// `icepack` (Project IceStorm): `.asc` to `.bin`.
    Icepack,
    /// `ecppack` (Project Trellis): `.config` to `.bit`.
    Ecppack,
}

/// Which logic level lights an LED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Polarity {
    /// A 1 on the pin lights the LED.
    ActiveHigh,
    /// A 0 on the pin lights the LED: the top level must invert.
    ActiveLow,
}

/// How a board is programmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "tool")]
pub enum Programmer {
    /// `iceprog <bin>`: writes the SPI flash over FTDI channel A
    /// (persistent; these boards do not support SRAM loading without
    /// hardware changes).
    Iceprog,
    /// `openFPGALoader -b <board> <bit>`: loads SRAM over JTAG (lost at
    /// power-off); add `-f` to write the SPI flash instead.
    OpenFpgaLoader {
        /// The board name in openFPGALoader's `board.hpp`.
        board: &'static str,
    },
}

impl Programmer {
    /// The executable name.
    pub fn program(&self) -> &'static str {
        match self {
            Programmer::Iceprog => "iceprog",
            Programmer::OpenFpgaLoader { .. } => "openFPGALoader",
        }
    }

    /// How to install the programmer, for error messages.
    pub fn install_hint(&self) -> &'static str {
        match self {
            Programmer::Iceprog => {
                "install iceprog (Debian/Ubuntu: `apt install fpga-icestorm`; or build Project IceStorm)"
            }
            Programmer::OpenFpgaLoader { .. } => {
                "install openFPGALoader (Debian/Ubuntu: `apt install openfpgaloader`; or build it from trabucayre/openFPGALoader)"
            }
        }
    }
}

/// The USB bridge: how the host finds the board and its UART.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct UsbId {
    /// USB vendor id.
    pub vid: u16,
    /// USB product id.
    pub pid: u16,
    /// USB interface that carries the UART (0 = FTDI channel A, 1 = B).
    pub uart_interface: u8,
    /// The bridge chip.
    pub chip: &'static str,
}

impl fmt::Display for UsbId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:04x} if{}",
            self.vid, self.pid, self.uart_interface
        )
    }
}

/// Logic resources of the device, as nextpnr counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Capacity {
    /// LUT4s: iCE40 logic cells (`ICESTORM_LC`, each one LUT4 + one FF +
    /// one carry) or ECP5 `TRELLIS_COMB` (one LUT4 each).
    pub lut4: u32,
    /// Flip-flops: `ICESTORM_LC` on iCE40, `TRELLIS_FF` on ECP5.
    pub ff: u32,
    /// Carry cells: `SB_CARRY` (one per logic cell) on iCE40, `CCU2C` (two
    /// bits, two `TRELLIS_COMB`) on ECP5.
    pub carry: u32,
    /// Block RAMs: `ICESTORM_RAM` (4 kbit) on iCE40, `DP16KD` (18 kbit) on ECP5.
    pub bram: u32,
    /// Where the numbers come from.
    pub source: &'static str,
}

/// One FPGA board.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Board {
    /// Identifier used on the command line, e.g. `icebreaker`, `ulx3s-25f`.
    pub id: &'static str,
    /// Human-readable name.
    pub name: &'static str,
    /// FPGA family.
    pub family: Family,
    /// The FPGA device, e.g. `iCE40UP5K`, `LFE5U-25F`.
    pub device: &'static str,
    /// The full part number.
    pub part: &'static str,
    /// Package, as the vendor names it (`SG48`, `CB132`, `CABGA381`).
    pub package: &'static str,
    /// Speed grade (ECP5 only).
    pub speed_grade: Option<u8>,
    /// Device arguments for nextpnr, exactly as in boards.toml.
    pub nextpnr_args: &'static [&'static str],
    /// Bitstream packer.
    pub pack_tool: PackTool,
    /// JTAG idcode (ECP5 only).
    pub idcode: Option<u32>,
    /// The board oscillator that drives `clk_in`, in Hz.
    pub oscillator_hz: u32,
    /// The oscillator pin is an iCE40 PLL's own pad input, so the PLL must
    /// be `SB_PLL40_PAD` fed straight from the pin (iCEBreaker: pin 35
    /// feeds `SB_PLL40_PAD.PACKAGEPIN` in icebreaker-examples'
    /// pll_uart_mirror.v; nextpnr refuses `SB_PLL40_CORE` there).
    pub pll_from_pad: bool,
    /// The pin file, relative to the repository root.
    pub pin_file: &'static str,
    /// Pins of `led[0]` and `led[1]`.
    pub led_pins: [&'static str; 2],
    /// Polarity of those LEDs.
    pub led_polarity: Polarity,
    /// `uart_rx` pin (the FPGA receives here).
    pub uart_rx_pin: &'static str,
    /// `uart_tx` pin (the FPGA drives this).
    pub uart_tx_pin: &'static str,
    /// How to program the board.
    pub programmer: Programmer,
    /// The USB bridge.
    pub usb: UsbId,
    /// Device resources.
    pub capacity: Capacity,
    /// Caveats a user must know (jumpers, board modifications, ...).
    pub notes: &'static [&'static str],
    #[serde(skip)]
    pin_text: &'static str,
}

/// Errors from looking up a board.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoardError {
    /// No board has this id.
    #[error("unknown board `{id}`; known boards: {}", known.join(", "))]
    Unknown {
        /// The id asked for.
        id: String,
        /// Every known id.
        known: Vec<&'static str>,
    },
}

const ICEBREAKER_PCF: &str = include_str!("../../constraints/icebreaker.pcf");
const ALCHITRY_CU_PCF: &str = include_str!("../../constraints/alchitry-cu.pcf");
const ULX3S_LPF: &str = include_str!("../../constraints/ulx3s.lpf");
const ECP5_EVN_LPF: &str = include_str!("../../constraints/ecp5-evn.lpf");

const FT2232H: &str = "FTDI FT2232H";

const ULX3S_NOTES: &[&str] = &[
    "JTAG is bit-banged over the same FT231X that carries the UART: close the serial port while programming.",
    "openFPGALoader loads SRAM by default; `flash --persist` adds -f to write the SPI flash.",
];

const ECP5_CAPACITY_SOURCE: &str =
    "nextpnr-ecp5 0.11.1 (YoWASP) --report of tests/fixtures/blinky_uart.v: TRELLIS_COMB, TRELLIS_FF, DP16KD available; carry = TRELLIS_COMB / 2 (a CCU2C takes two)";

/// The ULX3S: one board in four FPGA sizes, identical but for the device.
const fn ulx3s(
    id: &'static str,
    name: &'static str,
    device: &'static str,
    part: &'static str,
    nextpnr_args: &'static [&'static str],
    idcode: u32,
    capacity: Capacity,
) -> Board {
    Board {
        id,
        name,
        family: Family::Ecp5,
        device,
        part,
        package: "CABGA381",
        speed_grade: Some(6),
        nextpnr_args,
        pack_tool: PackTool::Ecppack,
        idcode: Some(idcode),
        oscillator_hz: 25_000_000,
        pll_from_pad: false,
        pin_file: "constraints/ulx3s.lpf",
        led_pins: ["B2", "C2"],
        led_polarity: Polarity::ActiveHigh,
        uart_rx_pin: "M1",
        uart_tx_pin: "L4",
        programmer: Programmer::OpenFpgaLoader { board: "ulx3s" },
        usb: UsbId {
            vid: 0x0403,
            pid: 0x6015,
            uart_interface: 0,
            chip: "FTDI FT231X",
        },
        capacity,
        notes: ULX3S_NOTES,
        pin_text: ULX3S_LPF,
    }
}

static BOARDS: [Board; 7] = [
    Board {
        id: "icebreaker",
        name: "iCEBreaker (1BitSquared)",
        family: Family::Ice40,
        device: "iCE40UP5K",
        part: "iCE40UP5K-SG48",
        package: "SG48",
        speed_grade: None,
        nextpnr_args: &["--up5k", "--package", "sg48"],
        pack_tool: PackTool::Icepack,
        idcode: None,
        oscillator_hz: 12_000_000,
        pll_from_pad: true,
        pin_file: "constraints/icebreaker.pcf",
        led_pins: ["11", "37"],
        led_polarity: Polarity::ActiveLow,
        uart_rx_pin: "6",
        uart_tx_pin: "9",
        programmer: Programmer::Iceprog,
        usb: UsbId {
            vid: 0x0403,
            pid: 0x6010,
            uart_interface: 1,
            chip: FT2232H,
        },
        capacity: Capacity {
            lut4: 5280,
            ff: 5280,
            carry: 5280,
            bram: 30,
            source: "nextpnr-ice40 0.11.1 (YoWASP) --up5k --package sg48 --report: ICESTORM_LC 5280, ICESTORM_RAM 30 available (also 4 SPRAM, 8 DSP)",
        },
        notes: &[
            "The two main-board LEDs (red 11, green 37) are active low.",
            "openFPGALoader has no `icebreaker` board (it is `ice40_generic`); iceprog writes the SPI flash.",
        ],
        pin_text: ICEBREAKER_PCF,
    },
    Board {
        id: "alchitry-cu",
        name: "Alchitry Cu (v1)",
        family: Family::Ice40,
        device: "iCE40HX8K",
        part: "ICE40HX8K-CB132IC",
        package: "CB132",
        speed_grade: None,
        nextpnr_args: &["--hx8k", "--package", "cb132"],
        pack_tool: PackTool::Icepack,
        idcode: None,
        oscillator_hz: 100_000_000,
        pll_from_pad: false,
        pin_file: "constraints/alchitry-cu.pcf",
        led_pins: ["J11", "K11"],
        led_polarity: Polarity::ActiveHigh,
        uart_rx_pin: "P14",
        uart_tx_pin: "M9",
        programmer: Programmer::Iceprog,
        usb: UsbId {
            vid: 0x0403,
            pid: 0x6010,
            uart_interface: 1,
            chip: FT2232H,
        },
        capacity: Capacity {
            lut4: 7680,
            ff: 7680,
            carry: 7680,
            bram: 32,
            source: "nextpnr-ice40 0.11.1 (YoWASP) --hx8k --package cb132 --report: ICESTORM_LC 7680, ICESTORM_RAM 32 available",
        },
        notes: &[
            "Pins are for the Cu V1 (the V2 moves LEDs 2..7).",
            "Flash only: the Cu cannot load SRAM. openFPGALoader has no alchitry_cu board.",
            "alchitry-loader's udev rule unbinds ftdi_sio from every 0403:6010 device, hiding the UART.",
        ],
        pin_text: ALCHITRY_CU_PCF,
    },
    ulx3s(
        "ulx3s-12f",
        "ULX3S 12F (Radiona)",
        "LFE5U-12F",
        "LFE5U-12F-6BG381C",
        &["--12k", "--package", "CABGA381", "--speed", "6"],
        0x2111_1043,
        Capacity {
            lut4: 24288,
            ff: 24288,
            carry: 12144,
            bram: 56,
            source: "nextpnr-ecp5 0.11.1 (YoWASP) --12k --report: TRELLIS_COMB/TRELLIS_FF 24288, DP16KD 56 available. nextpnr models the 12F as the 25F die; Lattice rates the 12F lower (about 12K LUTs), so designs above that rely on undocumented silicon",
        },
    ),
    ulx3s(
        "ulx3s-25f",
        "ULX3S 25F (Radiona)",
        "LFE5U-25F",
        "LFE5U-25F-6BG381C",
        &["--25k", "--package", "CABGA381", "--speed", "6"],
        0x4111_1043,
        Capacity {
            lut4: 24288,
            ff: 24288,
            carry: 12144,
            bram: 56,
            source: ECP5_CAPACITY_SOURCE,
        },
    ),
    ulx3s(
        "ulx3s-45f",
        "ULX3S 45F (Radiona)",
        "LFE5U-45F",
        "LFE5U-45F-6BG381C",
        &["--45k", "--package", "CABGA381", "--speed", "6"],
        0x4111_2043,
        Capacity {
            lut4: 43848,
            ff: 43848,
            carry: 21924,
            bram: 108,
            source: ECP5_CAPACITY_SOURCE,
        },
    ),
    ulx3s(
        "ulx3s-85f",
        "ULX3S 85F (Radiona)",
        "LFE5U-85F",
        "LFE5U-85F-6BG381C",
        &["--85k", "--package", "CABGA381", "--speed", "6"],
        0x4111_3043,
        Capacity {
            lut4: 83640,
            ff: 83640,
            carry: 41820,
            bram: 208,
            source: ECP5_CAPACITY_SOURCE,
        },
    ),
    Board {
        id: "ecp5-evn",
        name: "Lattice ECP5-5G Evaluation Board",
        family: Family::Ecp5,
        device: "LFE5UM5G-85F",
        part: "LFE5UM5G-85F-8BG381",
        package: "CABGA381",
        speed_grade: Some(8),
        nextpnr_args: &["--um5g-85k", "--package", "CABGA381", "--speed", "8"],
        pack_tool: PackTool::Ecppack,
        idcode: Some(0x8111_3043),
        oscillator_hz: 12_000_000,
        pll_from_pad: false,
        pin_file: "constraints/ecp5-evn.lpf",
        led_pins: ["A13", "A12"],
        led_polarity: Polarity::ActiveLow,
        uart_rx_pin: "P2",
        uart_tx_pin: "P3",
        programmer: Programmer::OpenFpgaLoader { board: "ecp5_evn" },
        usb: UsbId {
            vid: 0x0403,
            pid: 0x6010,
            uart_interface: 1,
            chip: FT2232H,
        },
        capacity: Capacity {
            lut4: 83640,
            ff: 83640,
            carry: 41820,
            bram: 208,
            source: "nextpnr-ecp5 0.11.1 (YoWASP) --um5g-85k --report of tests/fixtures/blinky_uart.v: TRELLIS_COMB, TRELLIS_FF, DP16KD available; carry = TRELLIS_COMB / 2",
        },
        notes: &[
            "The UART is NOT wired to the FTDI on a stock board: fit 0-ohm R34/R35 (LiteX also removes R22/R23 and reconfigures the FT2232H port B as a UART).",
            "The 12 MHz clock comes from the FTDI and needs jumper JP2 shorted.",
            "LED polarity is disputed between sources; taken as active low (Amaranth, prjtrellis).",
            "openFPGALoader loads SRAM by default; `flash --persist` adds -f to write the SPI flash.",
        ],
        pin_text: ECP5_EVN_LPF,
    },
];

impl Board {
    /// Every known board, in a fixed order.
    pub fn all() -> &'static [Board] {
        &BOARDS
    }

    /// Every board id, in the order of [`Board::all`].
    pub fn ids() -> Vec<&'static str> {
        BOARDS.iter().map(|b| b.id).collect()
    }

    /// Looks a board up by id. Case and `_`/`-` are not significant, so the
    /// ids of boards.toml (`alchitry_cu`, `ecp5_evn`) work too.
    pub fn find(id: &str) -> Result<&'static Board, BoardError> {
        let want = normalise(id);
        BOARDS
            .iter()
            .find(|b| normalise(b.id) == want)
            .ok_or_else(|| BoardError::Unknown {
                id: id.to_string(),
                known: Board::ids(),
            })
    }

    /// The pin file's text (compiled in from `constraints/`).
    pub fn pin_file_text(&self) -> &'static str {
        self.pin_text
    }

    /// The pin file's name, e.g. `icebreaker.pcf`.
    pub fn pin_file_name(&self) -> &'static str {
        self.pin_file.rsplit('/').next().unwrap_or(self.pin_file)
    }

    /// The nextpnr option that takes the pin file: `--pcf` or `--lpf`.
    pub fn pin_file_option(&self) -> &'static str {
        match self.family {
            Family::Ice40 => "--pcf",
            Family::Ecp5 => "--lpf",
        }
    }

    /// The nextpnr executable's name (`nextpnr-ice40`, `nextpnr-ecp5`).
    pub fn nextpnr(&self) -> &'static str {
        match self.family {
            Family::Ice40 => "nextpnr-ice40",
            Family::Ecp5 => "nextpnr-ecp5",
        }
    }

    /// The oscillator in MHz.
    pub fn oscillator_mhz(&self) -> f64 {
        f64::from(self.oscillator_hz) / 1e6
    }

    /// Where `ferrominer build` writes this board's files by default:
    /// `build/<id>`.
    pub fn default_out_dir(&self) -> PathBuf {
        Path::new("build").join(self.id)
    }

    /// The bitstream's file name: `ferrominer.bin` or `ferrominer.bit`.
    pub fn bitstream_name(&self) -> String {
        format!("ferrominer.{}", self.family.bitstream_extension())
    }

    /// The command that programs `bitstream` into this board.
    ///
    /// `persist` asks for the SPI flash rather than SRAM. iceprog always
    /// writes the flash (SRAM loading needs board jumpers on the iCEBreaker
    /// and is unsupported on the Alchitry Cu), so it only matters for
    /// openFPGALoader, where it adds `-f`.
    pub fn programmer_command(&self, bitstream: &Path, persist: bool) -> ProgrammerCommand {
        let file = bitstream.to_string_lossy().into_owned();
        let args = match self.programmer {
            Programmer::Iceprog => vec![file],
            Programmer::OpenFpgaLoader { board } => {
                let mut a = vec!["-b".to_string(), board.to_string()];
                if persist {
                    a.push("-f".to_string());
                }
                a.push(file);
                a
            }
        };
        ProgrammerCommand {
            program: self.programmer.program(),
            args,
        }
    }
}

/// A programmer invocation: the executable and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProgrammerCommand {
    /// Executable name, looked up on PATH.
    pub program: &'static str,
    /// Arguments.
    pub args: Vec<String>,
}

impl fmt::Display for ProgrammerCommand {
    /// The command as a POSIX shell line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shell_quote(self.program))?;
        for a in &self.args {
            write!(f, " {}", shell_quote(a))?;
        }
        Ok(())
    }
}

/// Quotes `s` for a POSIX shell: unchanged if it only has safe characters,
/// otherwise in single quotes.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '-' | '.' | '/' | ':' | '=' | '+' | ',' | '@' | '%')
        });
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn normalise(id: &str) -> String {
    id.trim().to_ascii_lowercase().replace('_', "-")
}

/// The boards as a text table: id, name, device, oscillator, programmer and
/// USB id (with the UART's interface number).
pub fn boards_table(boards: &[Board]) -> String {
    let header = ["ID", "NAME", "DEVICE", "CLOCK", "PROGRAMMER", "USB (UART)"];
    let rows: Vec<[String; 6]> = boards
        .iter()
        .map(|b| {
            let programmer = match b.programmer {
                Programmer::Iceprog => "iceprog".to_string(),
                Programmer::OpenFpgaLoader { board } => format!("openFPGALoader -b {board}"),
            };
            [
                b.id.to_string(),
                b.name.to_string(),
                b.part.to_string(),
                format!("{} MHz", fmt_mhz(b.oscillator_mhz())),
                programmer,
                b.usb.to_string(),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(&header.map(String::from));
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}

fn fmt_mhz(mhz: f64) -> String {
    if mhz.fract() == 0.0 {
        format!("{mhz:.0}")
    } else {
        format!("{mhz}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_findable() {
        let ids = Board::ids();
        assert_eq!(
            ids,
            [
                "icebreaker",
                "alchitry-cu",
                "ulx3s-12f",
                "ulx3s-25f",
                "ulx3s-45f",
                "ulx3s-85f",
                "ecp5-evn"
            ]
        );
        for id in ids {
            assert_eq!(Board::find(id).unwrap().id, id);
        }
        // boards.toml spells some ids with underscores.
        assert_eq!(Board::find("alchitry_cu").unwrap().id, "alchitry-cu");
        assert_eq!(Board::find("ECP5_EVN").unwrap().id, "ecp5-evn");
    }

    #[test]
    fn unknown_board_lists_the_known_ones() {
        let err = Board::find("ulx3s").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown board `ulx3s`; known boards: icebreaker, alchitry-cu, ulx3s-12f, \
             ulx3s-25f, ulx3s-45f, ulx3s-85f, ecp5-evn"
        );
    }

    #[test]
    fn pin_files_match_the_descriptors() {
        for b in Board::all() {
            let text = b.pin_file_text();
            let pin_of = |port: &str| -> Option<String> {
                text.lines().find_map(|l| {
                    let l = l.trim();
                    match b.family {
                        Family::Ice40 => {
                            let w: Vec<&str> = l.split_whitespace().collect();
                            (w.first() == Some(&"set_io") && w[w.len() - 2] == port)
                                .then(|| w[w.len() - 1].to_string())
                        }
                        Family::Ecp5 => {
                            let prefix = format!("LOCATE COMP \"{port}\" SITE \"");
                            l.strip_prefix(&prefix)
                                .and_then(|r| r.split('"').next())
                                .map(str::to_string)
                        }
                    }
                })
            };
            assert_eq!(
                pin_of("uart_rx").as_deref(),
                Some(b.uart_rx_pin),
                "{}",
                b.id
            );
            assert_eq!(
                pin_of("uart_tx").as_deref(),
                Some(b.uart_tx_pin),
                "{}",
                b.id
            );
            assert_eq!(pin_of("led[0]").as_deref(), Some(b.led_pins[0]), "{}", b.id);
            assert_eq!(pin_of("led[1]").as_deref(), Some(b.led_pins[1]), "{}", b.id);
            assert!(pin_of("clk_in").is_some(), "{}", b.id);
            let mhz = fmt_mhz(b.oscillator_mhz());
            let freq = match b.family {
                Family::Ice40 => format!("set_frequency clk_in {mhz}"),
                Family::Ecp5 => format!("FREQUENCY PORT \"clk_in\" {mhz} MHZ;"),
            };
            assert!(text.contains(&freq), "{}: {freq}", b.id);
            assert!(b.pin_file.ends_with(b.pin_file_name()));
        }
    }

    #[test]
    fn programmer_commands() {
        let bin = Path::new("build/icebreaker/ferrominer.bin");
        let cmd = Board::find("icebreaker")
            .unwrap()
            .programmer_command(bin, false);
        assert_eq!(cmd.to_string(), "iceprog build/icebreaker/ferrominer.bin");
        let bit = Path::new("out dir/ferrominer.bit");
        let b = Board::find("ulx3s-85f").unwrap();
        assert_eq!(
            b.programmer_command(bit, false).to_string(),
            "openFPGALoader -b ulx3s 'out dir/ferrominer.bit'"
        );
        assert_eq!(
            b.programmer_command(bit, true).to_string(),
            "openFPGALoader -b ulx3s -f 'out dir/ferrominer.bit'"
        );
        let evn = Board::find("ecp5-evn").unwrap();
        assert_eq!(
            evn.programmer_command(Path::new("x.bit"), false).args,
            ["-b", "ecp5_evn", "x.bit"]
        );
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("a/b-c.v"), "a/b-c.v");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("synth_ice40 -top x"), "'synth_ice40 -top x'");
    }
}
