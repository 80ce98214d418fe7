ARG BASE=busybox
FROM ${BASE}
RUN echo hello \
# a comment inside the continuation

# another comment between blank lines

world > /c13
RUN echo a \

b \

c >> /c13
RUN echo x  \  
y >> /c13
ENV E hello\
\
world
ENV F hello\
 \
world
ENV C trail\\
ENV D separate
RUN last() { :; }; last \