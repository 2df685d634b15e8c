#!/bin/sh
# mkca.sh DIR - a throwaway CA, a server cert for 127.0.0.1/::1/localhost, and a
# client cert for CN=alice,O=devs, all signed by that CA.
# A fresh CA per test run means no test ever trusts anything outside its own dir.
set -eu
dir=${1:?usage: mkca.sh DIR}
mkdir -p "$dir"
cd "$dir"
umask 077

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout ca.key -out ca.crt -days 2 -subj "/CN=apidouble test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

cat > server.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
EOF
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout server.key -out server.csr -subj "/CN=apidouble" 2>/dev/null
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out server.crt -days 2 -extfile server.ext 2>/dev/null

cat > client.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
EOF
# Kubernetes reads the user from CN and the groups from O.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout alice.key -out alice.csr -subj "/O=devs/CN=alice" 2>/dev/null
openssl x509 -req -in alice.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out alice.crt -days 2 -extfile client.ext 2>/dev/null

rm -f server.csr alice.csr server.ext client.ext ca.srl
echo "$dir: ca.crt server.crt server.key alice.crt alice.key"
