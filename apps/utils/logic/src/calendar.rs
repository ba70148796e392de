//! Dates from seconds since the epoch (UTC; no time zones yet) and `date +FORMAT`.

use alloc::string::String;

/// A moment broken into calendar fields (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilTime {
    /// The year.
    pub year: i64,
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
    /// 0–23.
    pub hour: u32,
    /// 0–59.
    pub minute: u32,
    /// 0–59.
    pub second: u32,
    /// 0 = Sunday.
    pub weekday: u32,
    /// 1–366.
    pub day_of_year: u32,
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The calendar fields of `seconds` since 1970-01-01 00:00:00 UTC (Howard Hinnant's
/// days-to-civil algorithm).
#[must_use]
pub fn civil_time(seconds: i64) -> CivilTime {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400) as u32;
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_shifted_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_shifted_year + 2) / 153;
    let day = (day_of_shifted_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let day_of_year =
        cumulative[(month - 1) as usize] + day + u32::from(month > 2 && is_leap(year));
    CivilTime {
        year,
        month,
        day,
        hour: of_day / 3600,
        minute: of_day / 60 % 60,
        second: of_day % 60,
        weekday: (days + 4).rem_euclid(7) as u32,
        day_of_year,
    }
}

/// Formats like `date +FORMAT` in UTC: `%Y %y %m %d %e %H %M %S %j %a %b %h %A %B %p %s %Z %z
/// %D %T %F %R %c %n %t %%`; an unknown `%x` is copied.
#[must_use]
pub fn format_date(format: &str, seconds: i64) -> String {
    const FULL_WEEKDAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    const FULL_MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let time = civil_time(seconds);
    let mut output = String::new();
    let mut characters = format.chars();
    while let Some(character) = characters.next() {
        if character != '%' {
            output.push(character);
            continue;
        }
        let Some(letter) = characters.next() else {
            output.push('%');
            break;
        };
        let piece = match letter {
            'Y' => alloc::format!("{}", time.year),
            'y' => alloc::format!("{:02}", time.year.rem_euclid(100)),
            'C' => alloc::format!("{:02}", time.year.div_euclid(100)),
            'm' => alloc::format!("{:02}", time.month),
            'd' => alloc::format!("{:02}", time.day),
            'e' => alloc::format!("{:>2}", time.day),
            'H' => alloc::format!("{:02}", time.hour),
            'I' => alloc::format!("{:02}", (time.hour + 11) % 12 + 1),
            'M' => alloc::format!("{:02}", time.minute),
            'S' => alloc::format!("{:02}", time.second),
            'j' => alloc::format!("{:03}", time.day_of_year),
            'u' => alloc::format!("{}", if time.weekday == 0 { 7 } else { time.weekday }),
            'w' => alloc::format!("{}", time.weekday),
            'a' => String::from(WEEKDAYS[time.weekday as usize]),
            'A' => String::from(FULL_WEEKDAYS[time.weekday as usize]),
            'b' | 'h' => String::from(MONTHS[(time.month - 1) as usize]),
            'B' => String::from(FULL_MONTHS[(time.month - 1) as usize]),
            'p' => String::from(if time.hour < 12 { "AM" } else { "PM" }),
            's' => alloc::format!("{seconds}"),
            'Z' => String::from("UTC"),
            'z' => String::from("+0000"),
            'D' => format_date("%m/%d/%y", seconds),
            'T' => format_date("%H:%M:%S", seconds),
            'R' => format_date("%H:%M", seconds),
            'F' => format_date("%Y-%m-%d", seconds),
            'c' => format_date("%a %b %e %H:%M:%S %Y", seconds),
            'n' => String::from("\n"),
            't' => String::from("\t"),
            '%' => String::from("%"),
            other => alloc::format!("%{other}"),
        };
        output.push_str(&piece);
    }
    output
}

/// `ls -l`'s time column: `Mon DD HH:MM` within six months of `now`, else `Mon DD  YYYY`.
#[must_use]
pub fn listing_time(seconds: i64, now: i64) -> String {
    const SIX_MONTHS: i64 = 183 * 86_400;
    if now.saturating_sub(seconds).unsigned_abs() < SIX_MONTHS.unsigned_abs() {
        format_date("%b %e %H:%M", seconds)
    } else {
        format_date("%b %e  %Y", seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(format_date("%F %T %a %j", 0), "1970-01-01 00:00:00 Thu 001");
        assert_eq!(
            format_date("%F %T %a %j", 951_782_400),
            "2000-02-29 00:00:00 Tue 060"
        );
        assert_eq!(format_date("%c", 1_700_000_000), "Tue Nov 14 22:13:20 2023");
        assert_eq!(format_date("%s %Z %%", 42), "42 UTC %");
        assert_eq!(format_date("%Y", -1), "1969");
        assert_eq!(civil_time(1_709_251_199).day_of_year, 60);
        assert_eq!(listing_time(0, 10), "Jan  1 00:00");
        assert_eq!(listing_time(0, 400 * 86_400), "Jan  1  1970");
        // The extremes do not overflow.
        assert!(!listing_time(i64::MIN, i64::MAX).is_empty());
    }
}
