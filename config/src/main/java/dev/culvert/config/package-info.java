/**
 * Culvert's configuration: a HOCON file, validated in full and then frozen into immutable records.
 *
 * <p>{@link dev.culvert.config.ConfigLoader} is the entry point. It reads the operator's file, checks every
 * key against the schema in {@code reference.conf}, collects <em>all</em> problems (each with file, line and
 * key path) into one {@link dev.culvert.config.ConfigException}, and otherwise returns a
 * {@link dev.culvert.config.CulvertConfig}. Public types live in this package; the package-private classes
 * beside them ({@code Section}, {@code SchemaCheck}, {@code Locator}, ...) are the loader's internals.
 */
package dev.culvert.config;
