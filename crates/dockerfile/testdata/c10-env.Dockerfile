ARG BASE=busybox
FROM ${BASE}
ENV A=ABC
ENV B1=${A:-DEF} B2=${NOPE:-DEF} B4=${A:+ALT} B5=${NOPE:+ALT}
ENV B3=${NOPE:-${B2}xx}
ENV B6=${NOPE:-\$A:} B7=${NOPE:-\${A}:}
ENV P=${P:+$P:}/one
ENV P=${P:+$P:}/two
ENV E=\$A U=$UNSET Q1='$A' Q2="$A"
# Expected Env (after PATH): A=ABC B1=ABC B2=DEF B4=ALT B5= B3=DEFxx B6=$A: B7=${A:}
# P=/one:/two E=$A U= Q1=$A Q2=ABC
