#!/usr/bin/env bash
# JMH benchmarks of the data path (AEAD alone per implementation, copying and in place; a whole packet
# through two engines). Not tests. Usage: bench/jmh.sh [JAVA_HOME] [JMH args...]
#   bench/jmh.sh                                   # the default JDK
#   bench/jmh.sh /usr/lib/jvm/temurin-25-jdk-amd64 # a newer JDK (ChaCha20/Poly1305 intrinsics)
#   bench/jmh.sh "" -prof gc AeadBenchmark         # default JDK, in-place AEAD only, with bytes per op
# Builds inside the reactor (config, crypto, protocol) without installing anything into ~/.m2.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
java_home=${1:-${JAVA_HOME:-}}
shift || true
java=java
[[ -n $java_home ]] && java=$java_home/bin/java
args=${*:-"-f 1 -wi 3 -w 2s -i 5 -r 2s DataPathBenchmark|AeadBenchmark"}
echo "JDK: $("$java" -version 2>&1 | head -n 1)"
classpath=$(mktemp)
trap 'rm -f "$classpath"' EXIT
# One invocation: the reactor resolves config and crypto to their target/classes, never to ~/.m2.
mvn -B -q -pl protocol -am -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$classpath" >/dev/null
# shellcheck disable=SC2086 # JMH arguments are words
exec "$java" -cp "protocol/target/test-classes:protocol/target/classes:$(cat "$classpath")" org.openjdk.jmh.Main $args
