// pki-lab's Java client (src/clients/Probe.java): one HTTPS GET with HttpsURLConnection (JSSE).
// usage: java Probe URL HOST PORT CA CERT|- KEY|- [CRL...]
// prints "accepted" or "refused", then a short code, then the full message.
import java.io.*;
import java.net.Proxy;
import java.net.URL;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.*;
import javax.net.ssl.*;

public class Probe {
    public static void main(String[] a) throws Exception {
        String url = a[0], ca = a[3], cert = a[4], key = a[5];
        List<String> crlFiles = Arrays.asList(a).subList(6, a.length);
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keyManagers(cert, key), trustManagers(ca, crlFiles), null);
            HttpsURLConnection c = (HttpsURLConnection) new URL(url).openConnection(Proxy.NO_PROXY);
            c.setSSLSocketFactory(ctx.getSocketFactory());
            c.setConnectTimeout(20000);
            c.setReadTimeout(20000);
            int status = c.getResponseCode();
            c.getInputStream().readAllBytes();
            System.out.println(status == 200 ? "accepted" : "refused");
            System.out.println(status == 200 ? "ok" : "HTTP " + status);
            System.out.println("HTTP " + status);
        } catch (Exception e) {
            System.out.println("refused");
            System.out.println(code(e));
            StringBuilder text = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                text.append(text.length() == 0 ? "" : "; caused by ").append(t);
            }
            System.out.println(text);
        }
    }

    // The innermost cause names the failure; a path validation failure has a reason; an alert
    // the server sent is named by it.
    static String code(Throwable e) {
        Throwable inner = e;
        while (inner.getCause() != null) inner = inner.getCause();
        String msg = String.valueOf(e.getMessage());
        // 17.0.21 prefixes the alert name: "(unknown_ca) Received fatal alert: unknown_ca".
        int at = msg.indexOf("Received fatal alert: ");
        if (e instanceof SSLHandshakeException && at >= 0) {
            return "alert(" + msg.substring(at + "Received fatal alert: ".length()).trim() + ")";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertPathValidatorException) {
                return "CertPathValidatorException(" + ((CertPathValidatorException) t).getReason() + ")";
            }
        }
        return inner.getClass().getSimpleName();
    }

    static TrustManager[] trustManagers(String ca, List<String> crlFiles) throws Exception {
        KeyStore roots = KeyStore.getInstance("PKCS12");
        roots.load(null, null);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        int i = 0;
        try (InputStream in = Files.newInputStream(Path.of(ca))) {
            for (java.security.cert.Certificate c : cf.generateCertificates(in)) {
                roots.setCertificateEntry("root" + i++, c);
            }
        }
        PKIXBuilderParameters params = new PKIXBuilderParameters(roots, new X509CertSelector());
        List<CRL> crls = new ArrayList<>();
        for (String f : crlFiles) {
            try (InputStream in = Files.newInputStream(Path.of(f))) {
                crls.addAll(cf.generateCRLs(in));
            }
        }
        // With CRLs: check every certificate against them (no OCSP, no download).
        params.setRevocationEnabled(!crls.isEmpty());
        if (!crls.isEmpty()) params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(new CertPathTrustManagerParameters(params));
        return tmf.getTrustManagers();
    }

    static KeyManager[] keyManagers(String cert, String key) throws Exception {
        if (cert.equals("-")) return null;
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        java.security.cert.Certificate[] chain;
        try (InputStream in = Files.newInputStream(Path.of(cert))) {
            chain = cf.generateCertificates(in).toArray(new java.security.cert.Certificate[0]);
        }
        String pem = Files.readString(Path.of(key)).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem));
        PrivateKey pk;
        try {
            pk = KeyFactory.getInstance("EC").generatePrivate(spec);
        } catch (Exception notEc) {
            pk = KeyFactory.getInstance(chain[0].getPublicKey().getAlgorithm()).generatePrivate(spec);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", pk, new char[0], chain);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        return kmf.getKeyManagers();
    }
}
