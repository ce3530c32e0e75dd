package dev.culvert.config;

/** The log levels {@code culvert.log-level} may name; the daemon maps them onto its logger. */
enum LogLevelName { ERROR, WARN, INFO, DEBUG, TRACE }
