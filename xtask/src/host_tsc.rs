//! The host's timestamp-counter rate, which converts both systems' cycle counts to time.
//!
//! Under TCG a guest's `rdtsc` reads the host's counter, so one rate serves both systems (and is
//! what Linux needs as `tsc_early_khz` on a machine without a calibration timer). Linux reports
//! it in its kernel log; `/proc/cpuinfo`'s "cpu MHz" is the fallback on hosts with an invariant
//! TSC.

use std::process::Command;

use crate::error::{Result, XtaskError};

/// The rate in kHz from kernel-log text: the refined calibration if present, else the detected
/// rate (`tsc: Refined TSC clocksource calibration: 2445.485 MHz`, `tsc: Detected 2100.000 MHz
/// processor`).
pub fn tsc_khz_from_kernel_log(log: &str) -> Option<u64> {
    let rate_after = |marker: &str| {
        log.lines().rev().find_map(|line| {
            let rest = &line[line.find(marker)? + marker.len()..];
            megahertz_to_kilohertz(rest.split_whitespace().next()?)
        })
    };
    rate_after("Refined TSC clocksource calibration: ").or_else(|| rate_after("tsc: Detected "))
}

/// The rate in kHz from `/proc/cpuinfo` text, when its flags promise an invariant TSC.
pub fn tsc_khz_from_cpuinfo(cpuinfo: &str) -> Option<u64> {
    let flags = cpuinfo.lines().find(|line| line.starts_with("flags"))?;
    if !(flags.contains(" constant_tsc") && flags.contains(" nonstop_tsc")) {
        return None;
    }
    let line = cpuinfo.lines().find(|line| line.starts_with("cpu MHz"))?;
    megahertz_to_kilohertz(line.split(':').nth(1)?.trim())
}

fn megahertz_to_kilohertz(text: &str) -> Option<u64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let whole: u64 = whole.parse().ok()?;
    let mut thousandths = String::from(fraction);
    thousandths.truncate(3);
    while thousandths.len() < 3 {
        thousandths.push('0');
    }
    let thousandths: u64 = thousandths.parse().ok()?;
    Some(whole * 1000 + thousandths).filter(|&khz| khz > 0)
}

/// The host's rate: from `dmesg`, else `/proc/cpuinfo`.
///
/// # Errors
/// Fails, asking for `--tsc-khz`, when neither says.
pub fn host_tsc_khz() -> Result<u64> {
    let log = Command::new("dmesg")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    if let Some(khz) = tsc_khz_from_kernel_log(&log) {
        return Ok(khz);
    }
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    tsc_khz_from_cpuinfo(&cpuinfo).ok_or_else(|| {
        XtaskError::new(
            "could not find the host's TSC rate in dmesg or /proc/cpuinfo; pass --tsc-khz N",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_the_refined_calibration() {
        let log = "[    0.000020] tsc: Detected 2100.000 MHz processor\n\
                   [    1.2] tsc: Refined TSC clocksource calibration: 2445.4851 MHz\n";
        assert_eq!(tsc_khz_from_kernel_log(log), Some(2_445_485));
        let detected = "[    0.000020] tsc: Detected 2100.000 MHz processor\n";
        assert_eq!(tsc_khz_from_kernel_log(detected), Some(2_100_000));
        assert_eq!(tsc_khz_from_kernel_log("nothing\n"), None);
    }

    #[test]
    fn reads_cpuinfo_only_with_an_invariant_tsc() {
        let cpuinfo =
            "model name\t: X\ncpu MHz\t\t: 2100.5\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\n";
        assert_eq!(tsc_khz_from_cpuinfo(cpuinfo), Some(2_100_500));
        let variable = "cpu MHz\t\t: 2100.000\nflags\t\t: fpu tsc\n";
        assert_eq!(tsc_khz_from_cpuinfo(variable), None);
    }
}
