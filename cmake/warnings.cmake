# Warning flags shared by every target of the project.
function(spdkcpp_warnings target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wshadow -Wcast-align -Wformat=2 -Wundef
        $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Woverloaded-virtual>
        $<$<BOOL:${SPDKCPP_WERROR}>:-Werror>)
endfunction()
