package dev.culvert.config;

/**
 * The values of {@code device.offload} and {@code culvert.udp-offload}: {@code auto} (use what the kernel
 * accepts, probed at start) or {@code off}. The records carry it as a boolean, true = auto.
 */
enum OffloadSetting { AUTO, OFF }
