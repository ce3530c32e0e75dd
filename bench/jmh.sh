#!/usr/bin/env bash
# JMH benchmarks of the data path (AEAD alone, JDK vs Bouncy Castle; a whole packet through two
# engines). Not tests. Usage: bench/jmh.sh [JAVA_HOME] [JMH args...]
#   bench/jmh.sh                                   # the default JDK
#   bench/jmh.sh /usr/lib/jvm/temurin-25-jdk-amd64 # a newer JDK (ChaCha20/Poly1305 intrinsics)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
java_home=${1:-${JAVA_HOME:-}}
shift || true
java=java
[[ -n $java_home ]] && java=$java_home/bin/java
args=${*:-"-f 1 -wi 3 -w 2s -i 5 -r 2s DataPathBenchmark"}
echo "JDK: $("$java" -version 2>&1 | head -n 1)"
mvn -B -q -pl protocol -am -Pjmh -DskipTests install >/dev/null
mvn -B -q -pl protocol -Pjmh -DskipTests exec:exec -Djmh.java="$java" -Djmh.args="$args"
