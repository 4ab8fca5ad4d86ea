/**
 * The {@code pixelcnn4j} command-line tool: {@code train}, {@code eval}, {@code sample},
 * {@code complete} and {@code info}, built with picocli. {@link org.pixelcnn4j.cli.Main} is the
 * entry point; {@link org.pixelcnn4j.cli.ExitCodes} lists the exit codes scripts can rely on.
 */
package org.pixelcnn4j.cli;
