//! Finding boards' serial ports by their USB bridge (`--port auto`).
//!
//! On Linux every tty has a sysfs node; for a USB serial bridge its
//! `device` link points at the USB interface, whose parent holds the
//! device's `idVendor`/`idProduct`, and the interface holds
//! `bInterfaceNumber`. Reading sysfs needs no libudev.

use crate::boards::{Board, UsbId};
use std::path::{Path, PathBuf};

/// A serial port that belongs to a known board's USB bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPort {
    /// Device path, e.g. `/dev/ttyUSB1`.
    pub path: String,
    /// USB vendor and product id.
    pub vid: u16,
    /// USB product id.
    pub pid: u16,
    /// USB interface number of the tty.
    pub interface: u8,
    /// Product string, if the device has one.
    pub product: Option<String>,
    /// Ids of the boards this bridge could be (several boards share
    /// 0403:6010).
    pub boards: Vec<&'static str>,
}

fn read_trim(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
}

fn hex16(p: &Path) -> Option<u16> {
    u16::from_str_radix(&read_trim(p)?, 16).ok()
}

/// The USB identity of a tty from its sysfs directory (`/sys/class/tty/X`).
fn usb_identity(tty: &Path) -> Option<(u16, u16, u8, Option<String>)> {
    let mut dir: PathBuf = std::fs::canonicalize(tty.join("device")).ok()?;
    let mut interface = None;
    for _ in 0..6 {
        if interface.is_none() {
            if let Some(n) = read_trim(&dir.join("bInterfaceNumber")) {
                interface = u8::from_str_radix(&n, 16).ok();
            }
        }
        if let (Some(vid), Some(pid)) =
            (hex16(&dir.join("idVendor")), hex16(&dir.join("idProduct")))
        {
            return Some((
                vid,
                pid,
                interface.unwrap_or(0),
                read_trim(&dir.join("product")),
            ));
        }
        dir = dir.parent()?.to_path_buf();
    }
    None
}

/// Every tty under `sys_class_tty` whose USB bridge and interface match
/// one of `boards`.
pub fn find_ports_in(sys_class_tty: &Path, boards: &[Board]) -> Vec<FoundPort> {
    let Ok(entries) = std::fs::read_dir(sys_class_tty) else {
        return Vec::new();
    };
    let mut found: Vec<FoundPort> = entries
        .flatten()
        .filter_map(|e| {
            let (vid, pid, interface, product) = usb_identity(&e.path())?;
            let matches: Vec<&'static str> = boards
                .iter()
                .filter(|b| usb_matches(&b.usb, vid, pid, interface))
                .map(|b| b.id)
                .collect();
            if matches.is_empty() {
                return None;
            }
            Some(FoundPort {
                path: format!("/dev/{}", e.file_name().to_string_lossy()),
                vid,
                pid,
                interface,
                product,
                boards: matches,
            })
        })
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

fn usb_matches(id: &UsbId, vid: u16, pid: u16, interface: u8) -> bool {
    id.vid == vid && id.pid == pid && id.uart_interface == interface
}

/// The serial ports of every supported board plugged into this machine.
pub fn find_ports() -> Vec<FoundPort> {
    find_ports_in(Path::new("/sys/class/tty"), Board::all())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake sysfs tree: an FT2232H (0403:6010) with ttyUSB0 on interface
    /// 0 (JTAG side) and ttyUSB1 on interface 1 (the UART), an FT231X
    /// (0403:6015) and an unrelated serial port.
    #[test]
    fn finds_board_uarts_in_sysfs() {
        let root = std::env::temp_dir().join(format!("ferrominer-sysfs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dev = root.join("devices/usb1/1-1");
        let mk = |usb: &Path, vid: &str, pid: &str, product: &str| {
            std::fs::create_dir_all(usb).unwrap();
            std::fs::write(usb.join("idVendor"), vid).unwrap();
            std::fs::write(usb.join("idProduct"), pid).unwrap();
            std::fs::write(usb.join("product"), product).unwrap();
        };
        mk(&dev, "0403\n", "6010\n", "Alchitry Cu\n");
        let ulx = root.join("devices/usb1/1-2");
        mk(&ulx, "0403", "6015", "ULX3S FPGA 25K v3.0.3");
        let other = root.join("devices/usb1/1-3");
        mk(&other, "1a86", "7523", "USB Serial");
        let tty = root.join("class/tty");
        std::fs::create_dir_all(&tty).unwrap();
        for (name, usb, intf) in [
            ("ttyUSB0", &dev, "00"),
            ("ttyUSB1", &dev, "01"),
            ("ttyUSB2", &ulx, "00"),
            ("ttyUSB3", &other, "00"),
        ] {
            let iface = usb.join(format!("{name}-iface"));
            std::fs::create_dir_all(iface.join("tty-port")).unwrap();
            std::fs::write(iface.join("bInterfaceNumber"), intf).unwrap();
            std::fs::create_dir_all(tty.join(name)).unwrap();
            std::os::unix::fs::symlink(iface.join("tty-port"), tty.join(name).join("device"))
                .unwrap();
        }
        let found = find_ports_in(&tty, Board::all());
        let paths: Vec<&str> = found.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["/dev/ttyUSB1", "/dev/ttyUSB2"]);
        assert!(found[0].boards.contains(&"alchitry-cu"));
        assert!(found[0].boards.contains(&"icebreaker"));
        assert_eq!(found[0].product.as_deref(), Some("Alchitry Cu"));
        assert!(found[1].boards.iter().all(|b| b.starts_with("ulx3s")));
        let _ = std::fs::remove_dir_all(&root);
    }
}
