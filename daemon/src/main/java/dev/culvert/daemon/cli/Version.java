package dev.culvert.daemon.cli;

import picocli.CommandLine;

/** Version line: the package's implementation version, the JDK that runs it. */
final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"culvert " + (v != null ? v : "(development build)"),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")"};
    }
}
