//! Private helper: strict parsing of fixed-length hex strings.
//!
//! Every public `from_hex` in this crate goes through [`decode_fixed`], so
//! they all trim surrounding whitespace, accept upper- and lower-case digits,
//! and report problems the same way. Each caller maps [`HexProblem`] into its
//! own `thiserror` error type.

/// Why a fixed-length hex string was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HexProblem {
    /// The trimmed input has `got` characters instead of `2 * N`.
    Length {
        /// Number of characters (not bytes) in the trimmed input.
        got: usize,
    },
    /// The character `ch` at 0-based character `position` of the trimmed
    /// input is not a hex digit.
    Char {
        /// 0-based character index in the trimmed input.
        position: usize,
        /// The offending character.
        ch: char,
    },
}

/// Decodes exactly `N` bytes from `2 * N` hex characters.
///
/// Surrounding whitespace is trimmed first. The length is checked before the
/// characters, so a string that is both too long and contains a bad
/// character is reported as a length problem.
pub(crate) fn decode_fixed<const N: usize>(s: &str) -> Result<[u8; N], HexProblem> {
    let s = s.trim();
    let got = s.chars().count();
    if got != 2 * N {
        return Err(HexProblem::Length { got });
    }
    if let Some((position, ch)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(HexProblem::Char { position, ch });
    }
    let mut out = [0u8; N];
    // All characters are ASCII hex digits and there are 2 * N of them, so
    // this cannot fail; map the impossible error rather than panic.
    hex::decode_to_slice(s, &mut out).map_err(|_| HexProblem::Length { got })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_trims() {
        assert_eq!(decode_fixed::<2>("  aBcD\n"), Ok([0xab, 0xcd]));
    }

    #[test]
    fn reports_length_in_characters() {
        assert_eq!(decode_fixed::<2>("abc"), Err(HexProblem::Length { got: 3 }));
        // A multi-byte character counts as one character.
        assert_eq!(
            decode_fixed::<2>("abcé"),
            Err(HexProblem::Char {
                position: 3,
                ch: 'é'
            })
        );
    }

    #[test]
    fn reports_first_bad_character() {
        assert_eq!(
            decode_fixed::<2>("a0xz"),
            Err(HexProblem::Char {
                position: 2,
                ch: 'x'
            })
        );
    }
}
