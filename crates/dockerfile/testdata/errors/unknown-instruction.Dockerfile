# 2: unknown instruction: FROMM (did you mean FROM?)
FROMM python
