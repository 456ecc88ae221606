//! A small mutation engine: byte-level changes that parsers of text files and archives
//! meet in the wild (and from attackers), applied a few at a time to valid seeds.

use rand::rngs::StdRng;
use rand::Rng;

/// Inputs are kept under this size (the platform's own upload caps are 2–20 MB).
pub const MAX_INPUT: usize = 4 * 1024 * 1024;

const INTERESTING: &[&[u8]] = &[
    b"\0",
    b"\xff",
    b"\x7f",
    b"\"",
    b";",
    b",",
    b"\n",
    b"\r\n",
    b"\r",
    b"=",
    b"<",
    b">",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\xd0",
    b"\xfe\xff",
    b"\xef\xbb\xbf",
    b"'",
    b"\\",
    b"&#0;",
    b"99999999999999999999",
    b"-1",
    b"0",
    b"1e309",
    b"NaN",
    b"XFD1048576",
    b"A1048577",
    b"4294967295",
    b"18446744073709551616",
    b"%00",
    b"\xf0\x9f\x98\x80",
    b"\xc0\x80",
    b"2026-02-30",
    b"31.12.9999",
    b"<![CDATA[",
    b"]]>",
    b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
];

/// Applies 1–8 mutations; `others` are seeds to splice from.
pub fn mutate(rng: &mut StdRng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..rng.gen_range(1..=8) {
        let len = v.len();
        match rng.gen_range(0..9) {
            0 if len > 0 => {
                let i = rng.gen_range(0..len);
                v[i] ^= 1 << rng.gen_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.gen_range(0..len);
                v[i] = rng.gen();
            }
            2 => {
                let at = rng.gen_range(0..=len);
                let what = INTERESTING[rng.gen_range(0..INTERESTING.len())];
                v.splice(at..at, what.iter().copied());
            }
            3 => {
                let at = rng.gen_range(0..=len);
                let n = rng.gen_range(1..64);
                let bytes: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
                v.splice(at..at, bytes);
            }
            4 if len > 1 => {
                let a = rng.gen_range(0..len);
                let b = (a + rng.gen_range(1..=len.min(256))).min(len);
                v.drain(a..b);
            }
            5 if len > 1 => {
                // A range repeated many times: long lines, many rows, deep nesting.
                let a = rng.gen_range(0..len);
                let b = (a + rng.gen_range(1..=len.min(128))).min(len);
                let chunk = v[a..b].to_vec();
                let times = rng
                    .gen_range(2..2000)
                    .min(MAX_INPUT / chunk.len().max(1) / 2);
                let mut extra = Vec::with_capacity(chunk.len() * times);
                for _ in 0..times {
                    extra.extend_from_slice(&chunk);
                }
                v.splice(b..b, extra);
            }
            6 if !others.is_empty() => {
                let o = &others[rng.gen_range(0..others.len())];
                if !o.is_empty() {
                    let a = rng.gen_range(0..o.len());
                    let b = (a + rng.gen_range(1..=o.len().min(512))).min(o.len());
                    let at = rng.gen_range(0..=len);
                    v.splice(at..at, o[a..b].iter().copied());
                }
            }
            7 if len > 0 => {
                v.truncate(rng.gen_range(0..len));
            }
            _ => {
                // Swap two lines.
                let lines: Vec<usize> = v
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .map(|(i, _)| i)
                    .collect();
                if lines.len() >= 2 {
                    let (a, b) = (
                        lines[rng.gen_range(0..lines.len())],
                        lines[rng.gen_range(0..lines.len())],
                    );
                    let (a, b) = (a.min(b), a.max(b));
                    v[a..b].reverse();
                }
            }
        }
        v.truncate(MAX_INPUT);
    }
    v
}
