//! The 16550 UART: COM1 is the console (output polled, input interrupt-driven when an I/O APIC
//! routes its interrupt), COM2 the kernel log.

use x86_64::instructions::port::Port;

/// I/O port base of COM1.
pub const COM1: u16 = 0x3f8;
/// I/O port base of COM2.
pub const COM2: u16 = 0x2f8;

/// One 16550-compatible serial port.
pub struct SerialPort {
    base: u16,
}

impl SerialPort {
    /// Probes and programs the port at `base` (115200 baud, 8N1, FIFOs on).
    /// Returns `None` when no UART answers there.
    #[must_use]
    pub fn probe(base: u16) -> Option<Self> {
        let port = Self { base };
        // The scratch register keeps what is written to it only when a UART is present.
        port.write_register(7, 0xae);
        if port.read_register(7) != 0xae {
            return None;
        }
        port.write_register(1, 0x00); // no interrupts
        port.write_register(3, 0x80); // divisor latch
        port.write_register(0, 0x01); // 115200 baud
        port.write_register(1, 0x00);
        port.write_register(3, 0x03); // 8 bits, no parity, one stop bit
        // The FIFO control register is left as found: switching the FIFOs on or off discards
        // what they hold, and QEMU feeds received bytes the moment there is room, so any
        // switch can lose a byte typed (or piped in) during boot.
        port.write_register(4, 0x03); // DTR, RTS
        Some(port)
    }

    fn write_register(&self, offset: u16, value: u8) {
        let mut port: Port<u8> = Port::new(self.base + offset);
        // SAFETY: the port range belongs to this UART, which only the kernel drives.
        unsafe { port.write(value) }
    }

    fn read_register(&self, offset: u16) -> u8 {
        let mut port: Port<u8> = Port::new(self.base + offset);
        // SAFETY: as in `write_register`; reading UART registers has no memory effects.
        unsafe { port.read() }
    }

    /// Raises the port's interrupt whenever a received byte is waiting (OUT2 set, which gates
    /// the interrupt line on PC hardware).
    pub fn enable_receive_interrupt(&self) {
        self.write_register(4, 0x0b); // DTR, RTS, OUT2
        self.write_register(1, 0x01); // received data available
    }

    /// Whether a received byte is waiting.
    #[must_use]
    pub fn has_input(&self) -> bool {
        self.read_register(5) & 0x01 != 0
    }

    /// Sends one byte, waiting for room in the transmitter.
    pub fn write_byte(&self, byte: u8) {
        // Bounded wait: a wedged UART must not hang the kernel.
        for _ in 0..100_000 {
            if self.read_register(5) & 0x20 != 0 {
                break;
            }
            core::hint::spin_loop();
        }
        self.write_register(0, byte);
    }

    /// Returns a received byte, if one is waiting.
    #[must_use]
    pub fn try_read_byte(&self) -> Option<u8> {
        (self.read_register(5) & 0x01 != 0).then(|| self.read_register(0))
    }
}

impl core::fmt::Write for SerialPort {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        for byte in text.bytes() {
            if byte == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(byte);
        }
        Ok(())
    }
}
